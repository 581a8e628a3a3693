"""Foreground extraction, the graph cut and the mixture likelihood, on synthetic
images with known masks, against a NumPy reference, and through the CLI."""

import re

import numpy as np
import pytest
import reference
import skimage
from click.testing import CliRunner
from conftest import SAMPLES
from PIL import Image
from quantize.cli.main import cli
from scipy import ndimage
from scipy.stats import multivariate_normal

import quantize
from quantize.errors import InputError, NoSubjectError
from quantize.segment import graphcut, saliency
from quantize.segment.cutout import SegmentSettings, segment_file
from quantize.segment.foreground import EDGES
from quantize.segment.mixture import fit_mixture
from quantize.segment.saliency import subject_prior


def iou(a, b):
    return (a & b).sum() / (a | b).sum()


def textured(shape, seed, low=0, high=90):
    return np.random.default_rng(seed).integers(low, high, (*shape, 3)).astype(np.uint8)


@pytest.fixture
def disc_image():
    image = textured((120, 160), 0)
    rows, cols = np.mgrid[:120, :160]
    disc = (rows - 60) ** 2 + (cols - 80) ** 2 < 35 ** 2
    image[disc] = textured((120, 160), 1, 170, 230)[disc] // np.array([1, 3, 3], np.uint8)
    return image, disc


def ground_scene():
    """A disc standing on a field: sky above, grass in the bottom rows, which only a
    box down to the bottom edge and across the whole width holds."""
    image = textured((120, 160), 0, 150, 200) // np.array([2, 2, 1], np.uint8)
    image[95:] = (textured((120, 160), 2, 60, 120) // np.array([3, 1, 3], np.uint8))[95:]
    rows, cols = np.mgrid[:120, :160]
    disc = (rows - 70) ** 2 + (cols - 80) ** 2 < 30 ** 2
    image[disc] = (textured((120, 160), 1, 170, 230) // np.array([1, 3, 3], np.uint8))[disc]
    return image, disc


def test_a_box_down_to_the_edge_leaves_out_the_ground_only_it_holds():
    image, disc = ground_scene()
    for seed in (0, 1):  # the first color models knew no grass: the cut kept it (IoU 0.42)
        assert iou(quantize.segment_foreground(image, box=(0, 30, 160, 90), random_state=seed), disc) >= 0.95


def test_a_portrait_cropped_at_the_bottom_keeps_its_shoulders_collar_and_helmet():
    from conftest import SAMPLES
    astronaut = np.asarray(Image.open(SAMPLES / "astronaut.png").convert("RGB"))
    mask = quantize.segment_foreground(astronaut, box=(15, 10, 497, 502), random_state=0)
    # Her suit, collar and helmet fill the box's bottom and right edges: the cut that takes
    # those edges for background (32% of the image, the collar and helmet lost) is the less sure.
    assert mask.mean() > 0.5 and mask[-40:, 100:400].mean() > 0.9
    # Down from her chin, across the whole width: the surer cut with the strip dropped the
    # black collar in the middle along with the black table at the edge (28% of the image
    # kept); what it drops away from the edges stays.
    mask = quantize.segment_foreground(astronaut, box=(0, 100, 512, 412), random_state=0)
    assert mask[170:260, 130:300].mean() > 0.7 and mask[380:500, 300:480].mean() > 0.9


def test_disc_on_texture_with_a_box(disc_image):
    image, disc = disc_image
    mask = quantize.segment_foreground(image, box=(35, 15, 90, 90), random_state=0)
    assert mask.shape == disc.shape and mask.dtype == bool
    assert iou(mask, disc) >= 0.95


def test_disc_on_texture_without_a_box(disc_image):
    image, disc = disc_image
    assert iou(quantize.segment_foreground(image, random_state=0), disc) >= 0.95


def test_two_tone_object():
    image = textured((100, 140), 2, 100, 160)  # gray-ish texture
    truth = np.zeros((100, 140), bool)
    truth[25:75, 30:70] = True
    truth[25:75, 70:110] = True
    image[25:75, 30:70] = (200, 30, 30)  # red half
    image[25:75, 70:110] = (30, 30, 200)  # blue half
    mask = quantize.segment_foreground(image, box=(20, 15, 100, 70), random_state=0)
    assert iou(mask, truth) >= 0.95


def test_object_touching_the_border_with_that_edge_left_out():
    image = textured((100, 120), 3)
    truth = np.zeros((100, 120), bool)
    truth[40:, 35:85] = True  # stands on the bottom edge
    image[truth] = (240, 220, 60)
    mask = quantize.segment_foreground(image, edges=("top", "left", "right"), random_state=0)
    assert iou(mask, truth) >= 0.95
    # With the bottom frame forced to background, the bottom rows are lost.
    assert not quantize.segment_foreground(image, random_state=0)[-1].any()


def test_the_subject_prior_is_high_on_a_subject_and_flat_on_one_color(disc_image):
    image, disc = disc_image
    prior = subject_prior(image, EDGES)
    assert prior.shape == disc.shape
    assert prior[disc].mean() > 0.7 and prior[~disc].mean() < 0.15
    flat = subject_prior(np.full((50, 70, 3), 128, np.uint8), EDGES)  # rounding is no contrast
    assert np.all(flat == saliency.FLOOR)
    assert subject_prior(np.full((1, 1, 3), 9, np.uint8), ("top",)).shape == (1, 1)


def test_the_subject_prior_finds_the_background_along_the_frame_s_edges_only():
    image = textured((100, 120), 3)
    standing = np.zeros((100, 120), bool)
    standing[40:, 35:85] = True  # on the bottom edge: the bottom says nothing of the background
    image[standing] = (240, 220, 60)
    without_bottom, every_edge = subject_prior(image, ("top", "left", "right")), subject_prior(image, EDGES)
    assert without_bottom[standing].mean() > every_edge[standing].mean() + 0.05
    assert without_bottom[~standing].mean() < every_edge[~standing].mean()


def test_only_a_cut_without_a_box_or_foreground_seeds_takes_the_subject_prior(disc_image, monkeypatch):
    image, disc = disc_image
    calls = []

    def recorded(pixels, edges):
        calls.append(tuple(edges))
        return subject_prior(pixels, edges)

    monkeypatch.setattr(saliency, "subject_prior", recorded)
    quantize.segment_foreground(image, random_state=0, edges=("top", "left"))
    assert calls == [("top", "left")]
    quantize.segment_foreground(image, box=(40, 20, 80, 80), random_state=0)
    quantize.segment_foreground(image, fg_seeds=disc & (np.arange(160) == 80), random_state=0)
    quantize.segment_foreground(image, bg_seeds=~disc, edges=(), random_state=0)
    assert calls == [("top", "left")]
    # A box over the whole image says nothing: the frame and the prior.
    quantize.segment_foreground(image, box=(0, 0, 160, 120), random_state=0)
    assert calls == [("top", "left"), EDGES]


def test_large_image_takes_the_coarse_to_fine_path():
    image = textured((400, 500), 4)
    rows, cols = np.mgrid[:400, :500]
    truth = ((rows - 200) / 120) ** 2 + ((cols - 250) / 160) ** 2 < 1
    image[truth] = (60, 200, 90)
    mask = quantize.segment_foreground(image, box=(60, 50, 380, 300), random_state=0)
    assert iou(mask, truth) >= 0.97


def test_very_large_image_is_refined_at_an_intermediate_scale(monkeypatch):
    from quantize.segment import foreground
    image = textured((1400, 1600), 5)
    rows, cols = np.mgrid[:1400, :1600]
    truth = ((rows - 700) / 450) ** 2 + ((cols - 800) / 560) ** 2 < 1
    image[truth] = (60, 200, 90)
    box = (150, 150, 1300, 1100)  # 1.4 M free pixels: a coarse factor of 6, above REFINE_STEP
    bands = []
    band = foreground.boundary_band
    monkeypatch.setattr(foreground, "boundary_band",
                        lambda mask, radius, n_threads: bands.append((mask.shape, radius)) or band(mask, radius,
                                                                                                    n_threads))
    mask = quantize.segment_foreground(image, box=box, random_state=0)
    # The intermediate scale, then full resolution: the band it decides, and one pixel
    # further, whose colors its pairs read.
    assert bands == [((700, 800), 3), ((1400, 1600), 2), ((1400, 1600), 3)]
    assert iou(mask, truth) >= 0.97
    # Colors read in the band and statistics from samples cut as every pixel's did.
    monkeypatch.setattr(foreground, "_refine_in_band", lambda pixels, mask, decide, scale, model: foreground._round(
        foreground._Grid(pixels, model, needed=decide), mask, decide, model))
    assert iou(mask, quantize.segment_foreground(image, box=box, random_state=0)) >= 0.999
    monkeypatch.setattr(foreground, "REFINE_STEP", 10 ** 9)  # one refinement, in a band a coarse pixel wide
    assert iou(mask, quantize.segment_foreground(image, box=box, random_state=0)) >= 0.995


def test_seeds_are_obeyed(disc_image):
    image, disc = disc_image
    fg_seeds = np.zeros(disc.shape, bool)
    fg_seeds[5:10, 5:10] = True  # a patch of background declared foreground
    mask = quantize.segment_foreground(image, box=(0, 0, 160, 120), fg_seeds=fg_seeds, random_state=0)
    assert mask[fg_seeds].all()
    bg_seeds = disc & (np.mgrid[:120, :160][0] < 50)
    mask = quantize.segment_foreground(image, box=(35, 15, 90, 90), bg_seeds=bg_seeds, random_state=0)
    assert not mask[bg_seeds].any()


@pytest.mark.slow
def test_seed_reproduces_the_run():
    photo = np.asarray(Image.open(SAMPLES / "chelsea.png").convert("RGB"))
    runs = [quantize.segment_foreground(photo, box=(30, 10, 380, 280), random_state=7) for _ in range(2)]
    np.testing.assert_array_equal(*runs)
    one = quantize.segment_foreground(photo, box=(30, 10, 380, 280), random_state=7, n_threads=1)
    np.testing.assert_array_equal(runs[0], one)


def test_mask_follows_exif_orientation(tmp_path):
    image = np.zeros((40, 60, 3), np.uint8)
    image[10:30, 15:45] = 255
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    Image.fromarray(image).save(path, exif=exif, quality=95)
    assert quantize.segment_foreground(path, random_state=0).shape == (60, 40)


@pytest.mark.parametrize("box, message", [
    ((0, 0, 0, 10), "at least 1, got 0 and 10"),
    ((10, 10, 5, -1), "at least 1, got 5 and -1"),
    ((500, 10, 20, 20), "outside"),
    ((-50, -50, 20, 20), "outside"),
    ((1, 2, 3), "four integers"),
])
def test_bad_boxes_are_clear_errors(disc_image, box, message):
    with pytest.raises(InputError, match=message):
        quantize.segment_foreground(disc_image[0], box=box)


def test_other_bad_input(disc_image):
    image, disc = disc_image
    with pytest.raises(InputError, match="overlap"):
        quantize.segment_foreground(image, fg_seeds=disc, bg_seeds=disc)
    with pytest.raises(InputError, match="shape"):
        quantize.segment_foreground(image, fg_seeds=disc[:10])
    with pytest.raises(InputError, match="nothing marks the background"):
        quantize.segment_foreground(image, edges=())
    everywhere = np.ones(image.shape[:2], bool)
    for box in (None, (5, 5, 20, 20)):  # foreground seeds over the frame, or over all outside the box
        with pytest.raises(InputError, match=r"nothing marks the background \(the foreground seeds cover all of it\)"):
            quantize.segment_foreground(image, box=box, fg_seeds=everywhere)
    with pytest.raises(InputError, match="edges"):
        quantize.segment_foreground(image, edges=("middle",))


def test_box_over_the_whole_image_falls_back_to_the_frame(disc_image):
    image, disc = disc_image
    mask = quantize.segment_foreground(image, box=(-5, -5, 200, 200), random_state=0)
    assert iou(mask, disc) >= 0.95


def test_clean_mask_drops_specks_and_fills_holes():
    from quantize.segment.foreground import clean_mask
    mask = np.zeros((100, 100), bool)
    mask[20:80, 20:80] = True
    mask[50, 50] = False  # a one-pixel hole
    mask[5, 5] = True  # a speck
    cleaned = clean_mask(mask, min_size=0.001, max_hole=0.01)
    assert cleaned[50, 50] and not cleaned[5, 5]
    mask[2:12, 85:95] = True  # a second part, 100 px: kept unless only the largest is asked
    assert clean_mask(mask)[5, 90] and not clean_mask(mask, keep="largest")[5, 90]
    # Keeping every speck keeps the background too (it took the background for a part).
    np.testing.assert_array_equal(clean_mask(mask, min_size=0, max_hole=0), mask)


def test_mixture_kernel_matches_scipy_and_its_source():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)) * 10
    weights = rng.uniform(0.5, 2, 50)
    mixture = fit_mixture(X, weights, 4, np.random.default_rng(0), 2)
    covariances = np.linalg.inv(mixture.precisions)
    log_weights = mixture.log_coefs + 0.5 * (np.linalg.slogdet(covariances)[1] + 3 * np.log(2 * np.pi))
    expected = -np.log(sum(np.exp(lw) * multivariate_normal(m, c).pdf(X)
                           for lw, m, c in zip(log_weights, mixture.means, covariances)))
    got = mixture.negative_log_likelihood(X, 2)
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    plain = reference.load_kernel_source("_mixture_pythran")
    out = np.empty(len(X))
    plain.mixture_nll(X, mixture.means, mixture.precisions, mixture.log_coefs, out, 7, 1)
    np.testing.assert_allclose(out, got, rtol=1e-12)
    assert np.isclose(np.exp(log_weights).sum(), 1.0)


def test_graph_cut_against_brute_force():
    rng = np.random.default_rng(1)
    shape = (3, 4)
    features = rng.normal(size=(*shape, 3))
    weights = graphcut.contrast_weights(features, 2.0)
    cost_fg, cost_bg = rng.uniform(0, 3, 12), rng.uniform(0, 3, 12)
    free = np.ones(shape, bool)

    def energy(labels):
        flat = labels.ravel()
        total = np.where(flat, cost_fg, cost_bg).sum()
        for (d_row, d_col, _), w in zip(graphcut.NEIGHBOURS, weights):
            p, q = graphcut._pair_slices(shape, d_row, d_col)
            total += w[labels[p] != labels[q]].sum()
        return total

    best = min((np.array([(code >> i) & 1 for i in range(12)], bool).reshape(shape)
                for code in range(1 << 12)), key=energy)
    got = graphcut.cut(cost_fg, cost_bg, free, np.zeros(shape, bool), weights)
    assert np.isclose(energy(got), energy(best))


def test_graph_cut_fixed_pixels_pull_their_neighbours():
    shape = (1, 3)
    weights = graphcut.contrast_weights(np.zeros((*shape, 3)), 5.0)
    free = np.array([[False, True, False]])
    labels = np.array([[True, False, True]])
    # The middle pixel slightly prefers background but both neighbours are foreground.
    got = graphcut.cut(np.array([1.0]), np.array([0.0]), free, labels, weights)
    assert got.all()


def test_regions_follow_color_and_position():
    image = np.zeros((40, 80, 3), np.uint8)
    image[:, 40:] = (200, 50, 50)
    labels = quantize.segment_regions(image, 2, spatial_weight=0, random_state=0)
    assert labels.shape == (40, 80) and len(np.unique(labels)) == 2
    assert (labels[:, :40] == labels[0, 0]).all() and (labels[:, 40:] == labels[0, -1]).all()
    flat = np.full((40, 80, 3), 128, np.uint8)  # no color: position alone splits it
    halves = quantize.segment_regions(flat, 2, spatial_weight=1, random_state=0)
    assert len(np.unique(halves)) == 2
    with pytest.raises(InputError, match="spatial_weight"):
        quantize.segment_regions(image, 2, spatial_weight=-1)


def test_cli_segment_writes_outputs(tmp_path, disc_image):
    image, disc = disc_image
    source = tmp_path / "disc.png"
    Image.fromarray(image).save(source)
    runner = CliRunner()
    result = runner.invoke(cli, ["segment", str(source), "--box", "35,15,90,90", "--overlay",
                                 str(tmp_path / "over.png"), "--mask", str(tmp_path / "m.png"),
                                 "--cutout", str(tmp_path / "c.png"), "--crop"])
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "m.png") as written:
        mask = np.asarray(written) > 0
    assert iou(mask, disc) >= 0.95
    with Image.open(tmp_path / "c.png") as cut:
        cut.load()
    rows, cols = np.nonzero(mask)
    assert cut.mode == "RGBA" and cut.size == (np.ptp(cols) + 1, np.ptp(rows) + 1)
    with Image.open(tmp_path / "over.png") as overlay:
        assert overlay.size == (160, 120)
    again = runner.invoke(cli, ["segment", str(source), "--box", "35,15,90,90", "--mask", str(tmp_path / "m.png")])
    assert again.exit_code == 0 and "1 skipped" in again.output
    bad = runner.invoke(cli, ["segment", str(source), "--box", "0,0,0,9", "--mask", str(tmp_path / "n.png")])
    assert bad.exit_code == 2 and "'0,0,0,9': width and height must be at least 1, got 0 and 9" in bad.output
    usage = runner.invoke(cli, ["segment", str(source), "--box", "1,2"])
    assert usage.exit_code == 2


def test_cli_segment_defaults_and_labels(tmp_path, disc_image):
    source = tmp_path / "disc.png"
    Image.fromarray(disc_image[0]).save(source)
    (tmp_path / "junk.png").write_bytes(b"not an image")
    runner = CliRunner()
    result = runner.invoke(cli, ["segment", str(source), str(tmp_path / "junk.png")])
    assert result.exit_code == 1 and "junk.png" in result.output
    assert (tmp_path / "disc-mask.png").exists() and (tmp_path / "disc-cutout.png").exists()
    result = runner.invoke(cli, ["segment", str(source), "--labels", "4", "--mask", str(tmp_path / "l.png"),
                                 "--overlay", str(tmp_path / "r.png")])
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "l.png") as written:
        assert set(np.unique(np.asarray(written))) <= {0, 1, 2, 3}


def busy_scene(seed=0):
    """No one subject: blobs of six colors, the frame of three of them only, so the
    cut keeps scattered blobs of the other three (a quarter of the image)."""
    rng = np.random.default_rng(seed)
    palette = rng.integers(0, 256, (6, 3))
    blobs = rng.integers(0, 6, (12, 16))
    blobs[[0, -1], :] = rng.integers(0, 3, (2, 16))
    blobs[:, [0, -1]] = rng.integers(0, 3, (12, 2))
    labels = np.kron(blobs, np.ones((10, 10), int))
    return np.clip(palette[labels] + rng.normal(0, 8, (120, 160, 3)), 0, 255).astype(np.uint8)


def test_confidence_is_high_for_a_clear_subject_and_low_without_one(disc_image):
    from quantize.segment.confidence import MIN_CONFIDENCE, foreground_confidence
    image, disc = disc_image
    mask, confidence = quantize.segment_foreground(image, random_state=0, return_confidence=True)
    assert confidence >= 0.95 and confidence == pytest.approx(foreground_confidence(image, mask, random_state=0),
                                                              abs=0.02)
    scattered_cut, unsure = quantize.segment_foreground(busy_scene(), random_state=0, return_confidence=True)
    assert 0.1 < scattered_cut.mean() < 0.6 and unsure < confidence  # some cut, and less sure of it
    # The command refuses it: its confidence is below the line (here 0.47; 0.927 with
    # a 2% frame), or cuts with other seeds do not repeat it (they overlap it by 0.56).
    from quantize.segment.foreground import MIN_STABILITY, cut_stability
    assert unsure < MIN_CONFIDENCE or cut_stability(busy_scene(), scattered_cut, random_state=0) < MIN_STABILITY
    assert foreground_confidence(image, np.zeros(disc.shape, bool)) == 0.0
    scattered = np.zeros(disc.shape, bool)
    scattered[::20, ::20] = True  # many parts, none of them a subject: cohesion is tiny
    assert foreground_confidence(image, scattered) < 0.1


@pytest.mark.parametrize("name, edges", [("chelsea.png", "top,bottom,left,right"), ("rocket.jpg", "top,left,right")])
def test_cli_refuses_the_sample_images_partial_cuts_without_a_box(tmp_path, name, edges):
    # The cat's eyes and muzzle (confidence 0.922), the rocket with a block of sky beside
    # it (0.927): wrong cuts that the threshold of 0.92 passed as done.
    result = CliRunner().invoke(cli, ["segment", str(SAMPLES / name), "--edges", edges,
                                      "--mask", str(tmp_path / "m.png")])
    assert result.exit_code == 1 and "no clear subject (confidence 0.92" in result.output, result.output
    assert not (tmp_path / "m.png").exists()


def test_cli_refuses_an_unsure_cut_without_a_box_and_reports_confidence(tmp_path, disc_image):
    Image.fromarray(busy_scene()).save(tmp_path / "busy.png")
    Image.fromarray(disc_image[0]).save(tmp_path / "disc.png")
    runner = CliRunner()
    refused = runner.invoke(cli, ["segment", str(tmp_path / "busy.png"), "--mask", str(tmp_path / "m.png")])
    assert refused.exit_code == 1 and "no clear subject (confidence" in refused.output
    assert not (tmp_path / "m.png").exists()
    kept = runner.invoke(cli, ["-v", "segment", str(tmp_path / "busy.png"), "--mask", str(tmp_path / "m.png"),
                               "--min-confidence", "0", "--report", str(tmp_path / "r.csv")])
    assert kept.exit_code == 0 and "done (confidence" in kept.output and (tmp_path / "m.png").exists()
    assert "confidence" in (tmp_path / "r.csv").read_text().splitlines()[0]
    whole = runner.invoke(cli, ["segment", str(tmp_path / "busy.png"), "--box", "0,0,5000,5000",
                                "--mask", str(tmp_path / "w.png")])
    assert whole.exit_code == 1 and "no clear subject" in whole.output  # a box over everything says nothing
    assert "a box over the whole image marks no background: give a tighter --box" in whole.output
    Image.fromarray(np.zeros(busy_scene().shape[:2], np.uint8)).save(tmp_path / "no-seeds.png")
    unseeded = runner.invoke(cli, ["segment", str(tmp_path / "busy.png"), "--fg-seeds", str(tmp_path / "no-seeds.png"),
                                   "--mask", str(tmp_path / "s.png")])
    assert unseeded.exit_code == 2 and "Invalid value for '--fg-seeds'" in unseeded.output  # a blank file
    assert "marks no pixel" in unseeded.output and not (tmp_path / "s.png").exists()
    Image.fromarray(np.full(busy_scene().shape[:2], 255, np.uint8)).save(tmp_path / "all-seeds.png")
    for option in ("--fg-seeds", "--bg-seeds"):  # a full file, with a box or without
        for box in ([], ["--box", "10,10,40,40"]):
            full = runner.invoke(cli, ["segment", str(tmp_path / "busy.png"), option, str(tmp_path / "all-seeds.png"),
                                       *box, "--mask", str(tmp_path / "s.png")])
            assert full.exit_code == 2 and f"Invalid value for '{option}'" in full.output
            assert "marks every pixel" in full.output and not (tmp_path / "s.png").exists()
    Image.fromarray(np.full((20, 30), 255, np.uint8)).save(tmp_path / "small-full.png")  # the size is told first
    small = runner.invoke(cli, ["segment", str(tmp_path / "busy.png"), "--fg-seeds", str(tmp_path / "small-full.png"),
                                "--mask", str(tmp_path / "s.png")])
    assert small.exit_code == 2 and "small-full.png is 30x20, but" in small.output and "marks" not in small.output
    blank = np.zeros(busy_scene().shape[:2], bool)
    settings = SegmentSettings(fg_seeds=blank)  # from Python, seeds that mark nothing are no seeds
    with pytest.raises(NoSubjectError, match="no clear subject"):
        segment_file(tmp_path / "busy.png", settings, mask_path=tmp_path / "s.png")
    # A folder of refused files leaves no empty output folders behind.
    (tmp_path / "in").mkdir()
    Image.fromarray(busy_scene()).save(tmp_path / "in" / "a.png")
    Image.fromarray(busy_scene()).save(tmp_path / "in" / "b.png")
    all_refused = runner.invoke(cli, ["segment", str(tmp_path / "in"), "--cutout", str(tmp_path / "cut" / "deep")])
    assert all_refused.exit_code == 1 and not (tmp_path / "cut").exists()
    boxed = runner.invoke(cli, ["segment", str(tmp_path / "disc.png"), "--box", "35,15,90,90",
                                "--min-confidence", "1", "--mask", str(tmp_path / "b.png")])
    assert boxed.exit_code == 0  # with a box the user has said where the subject is: never refused as unsure


def test_cut_stability_is_high_for_a_cut_every_seed_makes_and_low_for_another(disc_image):
    from quantize.segment import cut_stability
    image, disc = disc_image
    mask = quantize.segment_foreground(image, random_state=3)
    assert cut_stability(image, mask, random_state=3) >= 0.95
    shifted = np.roll(disc, 40, axis=1)  # not the cut the seeds make: half of it is background
    assert cut_stability(image, shifted, random_state=3) < 0.5
    assert cut_stability(image, mask, random_state=3, n_cuts=1) == 1.0
    with pytest.raises(InputError, match="shape"):
        cut_stability(image, mask[:-1])
    with pytest.raises(InputError, match="n_cuts must be a positive integer, got 0"):
        cut_stability(image, mask, n_cuts=0)


def test_cli_refuses_a_sure_cut_that_other_seeds_do_not_repeat(tmp_path, disc_image, monkeypatch):
    Image.fromarray(disc_image[0]).save(tmp_path / "disc.png")
    runner = CliRunner()
    done = runner.invoke(cli, ["segment", str(tmp_path / "disc.png"), "--mask", str(tmp_path / "m.png")])
    assert done.exit_code == 0 and (tmp_path / "m.png").exists()  # a clear subject, cut alike by every seed
    calls = []
    monkeypatch.setattr("quantize.segment.cutout.cut_stability", lambda *a, **k: calls.append(k) or 0.4)
    refused = runner.invoke(cli, ["segment", str(tmp_path / "disc.png"), "--mask", str(tmp_path / "n.png")])
    assert refused.exit_code == 1 and not (tmp_path / "n.png").exists()
    assert "overlap it by only 0.40, below 0.7): give --box or seeds" in refused.output
    assert calls[0]["random_state"] == 0 and calls[0]["box"] is None  # the command's seed, its options
    kept = runner.invoke(cli, ["segment", str(tmp_path / "disc.png"), "--min-confidence", "0",
                               "--mask", str(tmp_path / "n.png")])
    assert kept.exit_code == 0 and len(calls) == 1  # keeping every cut checks nothing


def soft_disc_composite():
    """A red disc blended over a textured green backdrop with a blurred alpha."""
    rows, cols = np.mgrid[:120, :160]
    disc = (rows - 60) ** 2 + (cols - 80) ** 2 < 35 ** 2
    alpha = ndimage.gaussian_filter(disc.astype(np.float32), 1.5)
    subject = np.full((120, 160, 3), (210, 40, 40), np.float32)
    backdrop = np.dstack([textured((120, 160), 3, 0, 60)[:, :, 0], textured((120, 160), 4, 120, 200)[:, :, 1],
                          textured((120, 160), 5, 0, 60)[:, :, 2]]).astype(np.float32)
    image = alpha[:, :, None] * subject + (1 - alpha[:, :, None]) * backdrop
    return np.rint(image).astype(np.uint8), disc, alpha, subject


def test_matting_softens_only_the_edge_and_recovers_the_subject_s_colors():
    image, disc, true_alpha, subject = soft_disc_composite()
    alpha, colors = quantize.matte_edges(image, disc)
    far = ndimage_distance(disc) > 6
    np.testing.assert_array_equal(alpha[far], disc[far])  # the hard mask away from the edge
    assert ((alpha > 0) & (alpha < 1)).any()
    assert np.abs(alpha - true_alpha).sum() < 0.6 * np.abs(disc - true_alpha).sum()
    edge = (true_alpha > 0.2) & (true_alpha < 0.8)
    hard_rim = np.abs(image[edge].astype(float) - subject[edge]).mean()  # old backdrop bleeding in
    assert np.abs(colors[edge].astype(float) - subject[edge]).mean() < 0.5 * hard_rim


def ndimage_distance(mask):
    """Each pixel's distance to the mask's edge."""
    from scipy import ndimage
    return np.minimum(ndimage.distance_transform_edt(mask), ndimage.distance_transform_edt(~mask))


def test_cli_matting_writes_a_soft_alpha(tmp_path):
    image, disc, _, _ = soft_disc_composite()
    Image.fromarray(image).save(tmp_path / "soft.png")
    result = CliRunner().invoke(cli, ["segment", str(tmp_path / "soft.png"), "--box", "30,10,100,100", "--matting",
                                      "--mask", str(tmp_path / "a.png"), "--cutout", str(tmp_path / "c.png")])
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "a.png") as mask, Image.open(tmp_path / "c.png") as cutout:
        alpha = np.asarray(mask)
        assert ((alpha > 0) & (alpha < 255)).any() and np.array_equal(np.asarray(cutout)[:, :, 3], alpha)
    refused = CliRunner().invoke(cli, ["segment", str(tmp_path / "soft.png"), "--labels", "3", "--matting",
                                       "--mask", str(tmp_path / "l.png")])
    assert refused.exit_code == 2 and not (tmp_path / "l.png").exists()


def test_matting_keeps_outside_the_box_background(tmp_path):
    image, disc, _, _ = soft_disc_composite()
    Image.fromarray(image).save(tmp_path / "soft.png")
    result = CliRunner().invoke(cli, ["segment", str(tmp_path / "soft.png"), "--box", "45,25,70,70", "--matting",
                                      "--mask", str(tmp_path / "a.png")])
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "a.png") as mask:
        alpha = np.asarray(mask)
    inside = np.zeros(alpha.shape, bool)
    inside[25:95, 45:115] = True
    assert (alpha[~inside] == 0).all() and ((alpha[inside] > 0) & (alpha[inside] < 255)).any()


def test_the_boundary_weight_and_subject_codebook_defaults_with_a_box_and_without(photo):
    from quantize.segment.foreground import N_CODEWORDS, NO_BOX_CODEWORDS, NO_BOX_SMOOTHNESS, SMOOTHNESS
    box = (60, 20, 330, 260)
    assert (SMOOTHNESS, N_CODEWORDS, NO_BOX_SMOOTHNESS, NO_BOX_CODEWORDS) == (30.0, 5, 20.0, 2)
    segment_foreground = quantize.segment_foreground
    boxed = segment_foreground(photo, box=box, random_state=0)
    np.testing.assert_array_equal(boxed, segment_foreground(photo, box=box, smoothness=30.0, n_codewords=5,
                                                            random_state=0))
    assert (boxed != segment_foreground(photo, box=box, smoothness=50.0, random_state=0)).any()
    assert (boxed != segment_foreground(photo, box=box, n_codewords=2, random_state=0)).any()
    framed = segment_foreground(photo, random_state=0)
    np.testing.assert_array_equal(framed, segment_foreground(photo, smoothness=20.0, n_codewords=2, random_state=0))
    assert (framed != segment_foreground(photo, smoothness=50.0, random_state=0)).any()
    assert (framed != segment_foreground(photo, n_codewords=5, random_state=0)).any()
    # A box over the whole image says nothing: the frame.
    whole = segment_foreground(photo, box=(0, 0, photo.shape[1], photo.shape[0]), random_state=0)
    np.testing.assert_array_equal(whole, framed)


def test_band_contrast_weights_match_numpy_and_their_source():
    from quantize import kernels
    from quantize.segment import graphcut
    rng = np.random.default_rng(0)
    features = rng.normal(size=(50, 3))
    index = rng.integers(0, 50, (37, 41)).astype(np.int32)
    needed = rng.random((37, 41)) < 0.2
    image = features[index]
    pairs = {}
    for d_row, d_col, factor in graphcut.NEIGHBOURS:  # every pair, by plain NumPy
        first = image[:37 - d_row, max(0, -d_col):41 - max(0, d_col)]
        second = image[d_row:, max(0, d_col):41 + min(0, d_col)]
        pairs[d_row, d_col] = ((first - second) ** 2).sum(axis=2)
    beta = 1 / (2 * np.mean(np.concatenate([sq.ravel() for sq in pairs.values()])))
    for n_threads in (1, 3):
        got = graphcut.band_contrast_weights(index, features, 30.0, needed, n_threads)
        for (first_pixels, values), (d_row, d_col, factor) in zip(got, graphcut.NEIGHBOURS):
            rows, cols = np.divmod(first_pixels, 41)
            mates = (rows + d_row, cols + d_col)
            assert (needed[rows, cols] | needed[mates]).all()
            n_touching = (needed[:37 - d_row, max(0, -d_col):41 - max(0, d_col)]
                          | needed[d_row:, max(0, d_col):41 + min(0, d_col)]).sum()
            assert len(first_pixels) == n_touching and (np.diff(first_pixels) > 0).all()
            squared = pairs[d_row, d_col][rows, cols - max(0, -d_col)]
            np.testing.assert_allclose(values, 30.0 * factor * np.exp(-beta * squared), rtol=1e-12)
    plain = reference.load_kernel_source("_contrast_pythran")
    compiled, source = np.zeros((4, 37)), np.zeros((4, 37))
    kernels.contrast.pair_sqdist_row_totals(index, features, compiled, 2)
    plain.pair_sqdist_row_totals(index, features, source, 1)
    np.testing.assert_array_equal(compiled, source)
    for (d_row, d_col, _), totals in zip(graphcut.NEIGHBOURS, compiled):  # each row's pairs added in column order
        for r in range(37 - d_row):
            expected = 0.0
            for value in pairs[d_row, d_col][r]:
                expected += value
            assert totals[r] == expected


def test_contrast_beta_of_sampled_row_pairs_leaves_out_the_rows_between_pairs():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(30, 3))
    index = rng.integers(0, 30, (10, 23)).astype(np.int32)  # rows (0, 1), (2, 3), ... neighbours
    image = features[index]
    squared = [((image[:, 1:] - image[:, :-1]) ** 2).sum(axis=2).ravel()]  # within every row
    for top in range(0, 10, 2):  # down, down-right, down-left within each pair only
        upper, lower = image[top], image[top + 1]
        squared += [((lower - upper) ** 2).sum(axis=1), ((lower[1:] - upper[:-1]) ** 2).sum(axis=1),
                    ((lower[:-1] - upper[1:]) ** 2).sum(axis=1)]
    expected = 1 / (2 * np.concatenate(squared).mean())
    assert graphcut.contrast_beta(index, features, 2, row_pairs=True) == pytest.approx(expected, rel=1e-12)
    assert graphcut.contrast_beta(index, features, 2) != pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize("radius", [0, 1, 3, 40, 300])
def test_boundary_band_is_a_maximum_minus_a_minimum_filter(radius):
    from quantize.segment.foreground import boundary_band
    mask = np.zeros((47, 61), bool)
    mask[5:30, 10:50] = True
    mask |= np.random.default_rng(radius).random(mask.shape) < 0.02  # specks and edges touching the border
    mask[:, :3] = True
    size = 2 * radius + 1
    expected = ndimage.maximum_filter(mask, size=size) & ~ndimage.minimum_filter(mask, size=size)
    for n_threads in (1, 2):
        np.testing.assert_array_equal(boundary_band(mask, radius, n_threads), expected)
    np.testing.assert_array_equal(boundary_band(np.ones((5, 6), bool), 2), np.zeros((5, 6), bool))
    tall = np.random.default_rng(radius).random((700, 9)) < 0.01  # rows over several chunks of the kernel
    np.testing.assert_array_equal(boundary_band(tall, min(radius, 40), 2),
                                  ndimage.maximum_filter(tall, size=2 * min(radius, 40) + 1)
                                  & ~ndimage.minimum_filter(tall, size=2 * min(radius, 40) + 1))


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
def test_written_pngs_decode_to_their_pixels(mode, large, monkeypatch, tmp_path):
    from quantize.segment.cutout import _write_png
    if large:  # the writer of large pictures, without millions of pixels
        monkeypatch.setattr("quantize.segment.cutout.LARGE_PHOTO_PIXELS", 1)
    pixels = textured((37, 53), 6, 0, 256)
    if mode == "RGBA":
        pixels = np.dstack([pixels, textured((37, 53), 7, 0, 256)[:, :, 0]])
    if mode == "L":
        pixels = pixels[:, :, 0].copy()
    _write_png(tmp_path / "out.png", Image.fromarray(pixels, mode), None, False, 2)
    with Image.open(tmp_path / "out.png") as back:
        assert back.mode == mode
        np.testing.assert_array_equal(np.asarray(back), pixels)


@pytest.mark.parametrize("factor", [2, 3, 7])
def test_downscale_is_scikit_images_block_mean(factor):
    # Integer sums, then a rounded division: the same bytes as the float means of
    # downscale_local_mean (rounded to even at .5, which factor 2 hits often; edge
    # blocks padded with zeros), which the cut's coarse levels were measured with.
    from quantize.segment.foreground import _downscale
    pixels = np.random.default_rng(factor).integers(0, 256, (53, 38, 3), dtype=np.uint8)
    expected = np.dstack([np.rint(skimage.transform.downscale_local_mean(pixels[:, :, c].astype(np.float32),
                                                                         (factor, factor))).astype(np.uint8)
                          for c in range(3)])
    np.testing.assert_array_equal(_downscale(pixels, factor, 2), expected)


@pytest.mark.parametrize("factor", [2, 3, 7])
def test_shrink_marks_blocks_as_scikit_images_block_mean(factor):
    from quantize.segment.foreground import _shrink
    mask = np.random.default_rng(factor).random((53, 38)) < 0.3
    fraction = skimage.transform.downscale_local_mean(mask.astype(np.float32), (factor, factor))
    np.testing.assert_array_equal(_shrink(mask, factor, True, 2), fraction > 0)
    np.testing.assert_array_equal(_shrink(mask, factor, False, 2), fraction >= 0.5)


def test_a_large_photo_whose_coarse_cut_is_empty_is_reported_not_crashed(tmp_path):
    # Over 0.64 M free pixels (the intermediate level's path), nothing in the box to cut.
    image = np.full((1000, 1000, 3), 120, np.uint8)
    mask = quantize.segment_foreground(image, box=(50, 50, 900, 900), random_state=0)
    assert not mask[:50].any()  # a cut, empty or not, and no exception
    Image.fromarray(image).save(tmp_path / "flat.png")
    result = CliRunner().invoke(cli, ["segment", str(tmp_path / "flat.png"), "--box", "50,50,900,900",
                                      "--mask", str(tmp_path / "m.png")])
    assert result.exit_code == 1 and "no foreground found" in result.output and not (tmp_path / "m.png").exists()


def test_the_band_refinement_takes_every_pixel_when_its_sample_misses_a_side():
    from quantize.segment import foreground
    image = textured((2000, 2000), 3)
    mask = np.zeros((2000, 2000), bool)
    mask[301, 100:1900] = True  # one row, between the sample's rows (every second at 4 MP)
    image[mask] = (230, 230, 40)
    decide = foreground.boundary_band(mask, 2) & ~np.zeros_like(mask)
    model = foreground._Model("lab", 5, 16, 30.0, np.random.default_rng(0), 2)
    cut = foreground._refine_in_band(image, mask, decide, 2, model)
    assert iou(cut, mask) >= 0.9


def test_background_seeds_stay_background_when_holes_are_filled(disc_image):
    image, disc = disc_image
    bg_seeds = np.zeros(disc.shape, bool)
    bg_seeds[58:61, 78:81] = True  # a 3 x 3 spot inside the disc, which the cleaning fills as a hole
    mask = quantize.segment_foreground(image, box=(35, 15, 90, 90), bg_seeds=bg_seeds, random_state=0)
    assert not mask[bg_seeds].any() and iou(mask, disc) >= 0.95


def test_a_small_subject_in_a_small_box_is_a_subject(tmp_path):
    image = textured((1500, 1500), 4)
    rows, cols = np.mgrid[:1500, :1500]
    disc = (rows - 700) ** 2 + (cols - 900) ** 2 < 25 ** 2  # 0.09% of the image, 30% of the box
    image[disc] = (220, 40, 40)
    Image.fromarray(image).save(tmp_path / "small.png")
    result = CliRunner().invoke(cli, ["segment", str(tmp_path / "small.png"), "--box", "860,660,80,80",
                                      "--mask", str(tmp_path / "m.png")])
    assert result.exit_code == 0, result.output
    assert iou(np.asarray(Image.open(tmp_path / "m.png")) > 0, disc) >= 0.9


def test_a_small_box_on_a_large_photo_is_cut_in_a_window_around_it(monkeypatch):
    from quantize.segment import foreground
    image = textured((1500, 1500), 4)
    rows, cols = np.mgrid[:1500, :1500]
    disc = (rows - 700) ** 2 + (cols - 900) ** 2 < 25 ** 2
    image[disc] = (220, 40, 40)
    seeds = np.zeros(disc.shape, bool)
    seeds[500:505, 700:705] = True  # a foreground seed outside the box: the window holds it too
    image[seeds] = (220, 40, 40)
    shapes = []
    extract = foreground._extract
    monkeypatch.setattr(foreground, "_extract", lambda pixels, *args: shapes.append(pixels.shape[:2]) or extract(
        pixels, *args))
    mask = quantize.segment_foreground(image, box=(860, 660, 80, 80), fg_seeds=seeds, random_state=0)
    # Not known background: rows 500-739, columns 700-939, grown by their span on each side.
    assert shapes == [(720, 720)]
    assert mask.shape == disc.shape and iou(mask, disc | seeds) >= 0.95 and mask[seeds].all()
    assert not mask[:260].any() and not mask[:, :460].any()


@pytest.mark.parametrize("box, whole", [((860, 660, 80, 80), False), ((500, 500, 400, 400), True)])
def test_the_working_window_is_the_whole_image_unless_it_saves_most_of_it(box, whole):
    from quantize.segment.foreground import hard_labels, working_window
    _, bg_hard = hard_labels((1500, 1500), box, None, None, ())
    window = working_window(bg_hard)
    assert (window == (slice(None), slice(None))) == whole
    if not whole:
        assert window == (slice(580, 820), slice(780, 1020))  # the box, 80 px more on each side


def test_matting_keeps_the_photo_s_colors_on_foreground_seeds(tmp_path):
    image, disc, alpha, _ = soft_disc_composite()
    Image.fromarray(image).save(tmp_path / "soft.png")
    seeds = np.zeros(alpha.shape, bool)
    seeds[22:99, 78:83] = True  # a stripe across the disc and its soft edges
    Image.fromarray(seeds.astype(np.uint8) * 255).save(tmp_path / "seeds.png")
    result = CliRunner().invoke(cli, ["segment", str(tmp_path / "soft.png"), "--box", "30,10,100,100", "--matting",
                                      "--fg-seeds", str(tmp_path / "seeds.png"), "--cutout", str(tmp_path / "c.png")])
    assert result.exit_code == 0, result.output
    cutout = np.asarray(Image.open(tmp_path / "c.png"))
    assert (cutout[seeds][:, 3] == 255).all()
    np.testing.assert_array_equal(cutout[seeds][:, :3], image[seeds][:, :3])


@pytest.mark.parametrize("box, radius", [((840, 660, 140, 80), 15),  # cut in a window
                                         ((500, 300, 900, 900), 25)])  # the whole image: the box is 36% of it
def test_a_subject_s_parts_are_measured_against_its_box_not_the_photo(box, radius):
    image = textured((1500, 1500), 4)
    rows, cols = np.mgrid[:1500, :1500]
    body = (rows - 700) ** 2 + (cols - 880) ** 2 < 30 ** 2
    # 707 / 1963 px: under 0.1% of the photo (2250 px), over 0.1% of the box
    part = (rows - 700) ** 2 + (cols - 920 - radius) ** 2 < radius ** 2  # 10 px from the body
    image[body | part] = (220, 40, 40)
    mask = quantize.segment_foreground(image, box=box, random_state=0)
    assert mask[part].mean() > 0.9 and iou(mask, body | part) >= 0.9


def test_a_small_subject_s_soft_edge_is_as_wide_as_its_scale_not_the_photo_s():
    image = textured((2000, 2000), 4)
    rows, cols = np.mgrid[:2000, :2000]
    disc = (rows - 1000) ** 2 + (cols - 1000) ** 2 < 20 ** 2
    image[disc] = (220, 40, 40)
    alpha, _ = quantize.matte_edges(image, disc)
    soft = (alpha > 0) & (alpha < 1)
    # The old band, 0.4% of the photo's diagonal (11 px either side), was wider than the disc's radius.
    assert soft.any() and soft.sum() < disc.sum() / 2
    distance = np.hypot(rows - 1000, cols - 1000)
    assert distance[soft].min() > 20 - 4 and distance[soft].max() < 20 + 4


def test_matting_tile_by_tile_gives_the_same_at_any_tile_size(monkeypatch):
    from quantize.segment import matting
    image, disc, _, _ = soft_disc_composite()
    radius = 6  # filters reading 12 px around each band pixel, across 16 px tiles
    whole_alpha, whole_colors = quantize.matte_edges(image, disc, radius=radius)  # 128 px tiles: two of them
    monkeypatch.setattr(matting, "TILE", 16)
    alpha, colors = quantize.matte_edges(image, disc, radius=radius)
    np.testing.assert_allclose(alpha, whole_alpha, atol=1e-5)
    np.testing.assert_array_equal(matting.foreground_colors(image, whole_alpha, radius), whole_colors)
    assert np.abs(colors.astype(int) - whole_colors).max() <= 1


def test_a_refusal_shows_the_confidence_below_its_threshold():
    from quantize.segment.confidence import short_of
    assert (short_of(0.41, 0.92), short_of(0.9196, 0.92), short_of(0.925, 0.92)) == ("0.41", "0.9196", "0.93")


def test_a_kept_cut_below_the_line_does_not_read_as_reaching_it(tmp_path):
    # rocket.jpg with --edges top,left,right: confidence 0.926, the line 0.93.
    result = CliRunner().invoke(cli, ["-v", "segment", str(SAMPLES / "rocket.jpg"), "--edges", "top,left,right",
                                      "--min-confidence", "0", "--mask", str(tmp_path / "m.png")])
    kept = re.search(r"rocket\.jpg: done \(confidence 0\.92\d\)", result.output)
    assert result.exit_code == 0 and kept, result.output
