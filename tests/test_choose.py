"""choose_n_colors: how many colors an image needs, by elbow, silhouette or a target."""
import re

import numpy as np
import pytest
from PIL import Image

from quantize import InputError, choose_n_colors, compress_image
from quantize.errors import QualityNotReachedWarning
from quantize.compress.choose import mean_delta_e, mean_silhouette

CASES = (3, 4, 5, 6, 8, 10, 12)


def flat_colors(m, seed, noise=4.0, size=160):
    """An image of ``m`` well-separated flat colors (at least 60 apart in RGB) in
    blocks, with Gaussian noise."""
    rng = np.random.default_rng(seed)
    colors = []
    while len(colors) < m:
        color = rng.integers(20, 236, 3)
        if all(np.linalg.norm(color - other) > 60 for other in colors):
            colors.append(color)
    blocks = rng.integers(0, m, (8, 8))
    blocks.ravel()[:m] = np.arange(m)  # every color present
    labels = np.kron(blocks, np.ones((size // 8, size // 8), int))
    return np.clip(np.array(colors)[labels] + rng.normal(0, noise, (size, size, 3)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("method", ["elbow", "silhouette"])
def test_each_method_finds_the_number_of_flat_colors(method):
    picks = [choose_n_colors(flat_colors(m, seed=m), method=method, random_state=0).n_colors for m in CASES]
    assert sum(pick == m for pick, m in zip(picks, CASES)) >= 6, dict(zip(CASES, picks))


def test_the_silhouette_is_scikit_learn_s_on_the_same_points():
    from sklearn.metrics import silhouette_score
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)) + np.repeat(np.eye(3) * 4, 100, axis=0)
    labels = np.repeat([0, 1, 2], 100)
    labels[rng.choice(300, 40, replace=False)] = rng.integers(0, 4, 40)
    labels[7] = 5  # a point alone in its cluster scores 0
    distances = np.sqrt(((X[:, None] - X[None]) ** 2).sum(axis=2))
    assert mean_silhouette(distances, labels) == pytest.approx(silhouette_score(X, labels), rel=1e-12)


def test_the_quality_target_gives_the_fewest_colors_that_reach_it(photo):
    image = photo[:120, :160]
    target = 4.0
    choice = choose_n_colors(image, range(2, 65), method="quality", quality=target, random_state=3)
    k = choice.n_colors
    assert 2 < k < 64
    everything = np.arange(image.shape[0] * image.shape[1])

    def delta_e(n):  # measured again, independently of the sweep's own record
        return mean_delta_e(image, compress_image(image, n, random_state=3).to_array(), everything)

    assert delta_e(k) <= target < delta_e(k - 1)
    assert choice.scores[choice.candidates == k][0] == pytest.approx(delta_e(k))


def test_the_quality_target_holds_for_the_dithered_result_it_returns(photo):
    image = photo[:120, :160]
    choice = choose_n_colors(image, range(2, 65), method="quality", quality=4.0, dither=True, random_state=3)
    everything = np.arange(image.shape[0] * image.shape[1])
    assert len(choice.result.palette) <= choice.n_colors
    assert mean_delta_e(image, choice.result.to_array(), everything) <= 4.0
    np.testing.assert_array_equal(choice.result.to_array(),
                                  compress_image(image, choice.n_colors, dither=True, random_state=3).to_array())


def test_the_sweep_reports_every_candidate_and_draws_its_curve(tmp_path, photo):
    choice = choose_n_colors(photo, [2, 4, 8, 16, 32], random_state=0)
    assert choice.candidates.tolist() == [2, 4, 8, 16, 32]
    assert (np.diff(choice.inertia) < 0).all()  # more colors, less error
    assert choice.n_colors in choice.candidates and "<- pick" in choice.table()
    choice.plot(tmp_path / "k.png")
    with Image.open(tmp_path / "k.png") as drawn:
        assert drawn.format == "PNG" and drawn.size[0] > 100


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "knee"}, "method must be one of"),
    ({"method": "quality"}, "needs quality="),
    ({"quality": 2.0}, "goes with method='quality'"),
    ({"candidates": [8]}, "at least two numbers of colors"),
    ({"candidates": [2, 300]}, "from 1 to 256"),
])
def test_bad_arguments(photo, kwargs, match):
    with pytest.raises(InputError, match=match):
        choose_n_colors(photo, **kwargs)


@pytest.mark.parametrize("largest, advice", [(8, "asked; allow more colors (at most 256) or raise the target"),
                                             (256, "asked; raise the target")])
def test_a_target_out_of_reach_says_what_would_reach_it(largest, advice):
    """At 256 colors, the most an indexed image holds, more colors is no advice."""
    noise = np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    with pytest.warns(QualityNotReachedWarning, match=re.escape(advice)):
        choose_n_colors(noise, [2, largest], method="quality", quality=0.01, random_state=0)
