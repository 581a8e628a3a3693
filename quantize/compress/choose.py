"""How many colors does a photo need? A sweep of k over one histogram, and three ways
to read it: the elbow of the inertia curve, the mean silhouette, or the fewest colors
whose result reaches a perceptual target (mean CIEDE2000).

The sweep fits every candidate k on the image's 5-bit color bins (the coarse level of
the palette fit), each warm-started from the one before: the cluster with the largest
error is split (a new center drawn inside it by k-means++'s rule) and Lloyd runs to
convergence from there, as bisecting k-means grows its tree. Inertia is then exact
over every pixel: the bins' inertia plus the error of each color against its bin's
mean, which no k changes.
"""
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._parallel import resolve_n_threads
from .._validation import check_random_state
from ..engine.common import weighted_tolerance
from ..engine.lloyd import lloyd
from ..engine.nearest import assign_labels
from ..engine.seeding import default_local_trials, plusplus_centers
from ..errors import InputError, QualityNotReachedWarning
from ..features import check_space, colors_to_features
from ..histogram import bin_colors, color_histogram
from ..io import load_image
from .fit import COARSE_BITS, COARSE_TOL, MAX_COLORS, MAX_ITER
from .pipeline import compress_image

METHODS = ("elbow", "silhouette", "quality")
# Pixels drawn for the silhouette, which is exact on them: its cost grows with the
# square of this. The flat-color tests picked the same with 1000 and 1500; on the
# benchmark photos 1500 took 2.3x the time of 1000 (bench/choose.py).
SILHOUETTE_SAMPLE = 1000
# Pixels the mean CIEDE2000 of the quality method is measured on: every one up to
# this many (about 0.3 s per fit measured), a fixed sample of this many above.
DELTA_E_SAMPLE = 400_000


@dataclass(frozen=True)
class ColorCountChoice:
    """The sweep and its pick.

    n_colors : int, the pick
    candidates : ndarray (n,) int, the k tried
    inertia : ndarray (n,) float, weighted sum of squared feature distances of all
        pixels to their centers, for each candidate
    scores : ndarray (n,) float, the method's score per candidate: the Kneedle
        difference on log inertia (elbow), the mean silhouette, or the mean CIEDE2000 (quality;
        NaN where it was not computed)
    method : str
    result : CompressedImage or None, for method="quality": the result whose
        CIEDE2000 was measured for the pick (no need to fit it again)
    """
    n_colors: int
    candidates: np.ndarray
    inertia: np.ndarray
    scores: np.ndarray
    method: str
    result: object = field(default=None, repr=False)

    def plot(self, path):
        """Draw the inertia curve (and the score, for silhouette and quality) with
        the pick marked, as a PNG at ``path``."""
        from ..plots import choice_plot

        choice_plot(self).save(path, format="PNG")

    def table(self):
        """One line per candidate: k, inertia, score, and a mark at the pick."""
        lines = [f"{'k':>4} {'inertia':>14} {self.method:>10}"]
        for k, inertia, score in zip(self.candidates, self.inertia, self.scores):
            lines.append(f"{k:4d} {inertia:14.5e} {score:10.4f}{'  <- pick' if k == self.n_colors else ''}")
        return "\n".join(lines)


def choose_n_colors(image, candidates=range(2, 33), *, method="elbow", quality=None, dither=False, space=None,
                    random_state=None, n_threads=None, max_pixels=None):
    """How many colors ``image`` needs, by one of three methods.

    Parameters
    ----------
    image : path, PIL.Image or ndarray (M, N[, 3|4])
    candidates : iterable of int, 1..256
        The k to try; the sweep runs over every k from the smallest to the largest.
    method : {"elbow", "silhouette", "quality"}
        "elbow": the knee of the inertia curve over ``candidates`` (so it moves
        with the range: Kneedle, Satopaa et al. 2011: the
        candidate farthest below the chord from the first to the last point of the
        normalized curve), taken on log inertia, where each color's gain counts
        relative to the error left: on raw inertia it picked one color too few for
        8 and 12 flat colors with noise, on log inertia the right number from 3 to 12). "silhouette": the highest mean silhouette (Rousseeuw
        1987), exact on a sample of 1000 pixels. "quality": the fewest colors whose
        :func:`compress_image` result (with this ``random_state``) has a mean
        CIEDE2000 of at most ``quality`` against the image, over every visible
        pixel up to 400 000 and a sample of that many above (bisection over full
        fits; the largest candidate, with a QualityNotReachedWarning, when none
        reaches it).
    quality : float, for method="quality"
        Largest acceptable mean CIEDE2000 (about 1 is barely visible; 2-3 is a
        close match at a glance).
    dither : bool or float, for method="quality"
        As in :func:`compress_image`: the results measured are dithered so.
    space : {"oklab", "lab", "rgb"}, optional
        Where distances are measured; default "oklab", as compress.
    random_state, n_threads, max_pixels : as in :func:`compress_image` (the command
        line passes ``--seed``, 0 by default)

    Returns
    -------
    ColorCountChoice

    Examples
    --------
    >>> import numpy as np, quantize
    >>> rng = np.random.default_rng(0)
    >>> flat = rng.integers(0, 256, (4, 3))[rng.integers(0, 4, (60, 60))]
    >>> noisy = np.clip(flat + rng.normal(0, 3, flat.shape), 0, 255).astype(np.uint8)
    >>> quantize.choose_n_colors(noisy, range(2, 11), random_state=0).n_colors
    4
    """
    pixels = load_image(image, max_pixels=max_pixels).pixels
    space = "oklab" if space is None else space
    check_space(space)
    candidates = _check_candidates(candidates)
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "quality" and (quality is None or not 0 < quality < np.inf):
        raise InputError(f"method='quality' needs quality=, a mean CIEDE2000 > 0, got {quality!r}")
    if method != "quality" and quality is not None:
        raise InputError("quality= goes with method='quality'")
    rng = check_random_state(random_state)
    n_threads = resolve_n_threads(n_threads)
    visible = _visible_pixels(pixels)
    histogram, features, centers_of = _sweep(visible, candidates, space, rng, n_threads)
    inertia = np.array([centers_of[k][1] for k in candidates])
    if method == "elbow":
        scores = kneedle_differences(candidates, np.log(np.maximum(inertia, inertia[0] * 1e-12)))
        pick = candidates[int(np.argmax(scores))]
    elif method == "silhouette":
        n = len(histogram.inverse)
        sample = features[histogram.inverse[rng.choice(n, min(SILHOUETTE_SAMPLE, n), replace=False)]]
        scores = silhouettes(sample, [centers_of[k][0] for k in candidates], n_threads)
        if np.isnan(scores).all():
            raise InputError("every candidate puts the sampled pixels in one cluster: no silhouette to compare")
        pick = candidates[int(np.nanargmax(scores))]
    else:
        scores = np.full(len(candidates), np.nan)
        pick, result = _fewest_reaching(pixels, candidates, quality, dither, scores, space, random_state, rng,
                                        n_threads)
        return ColorCountChoice(int(pick), candidates, inertia, scores, method, result)
    return ColorCountChoice(int(pick), candidates, inertia, scores, method)


def _check_candidates(candidates):
    try:
        values = np.array(sorted(set(int(k) for k in candidates)))
    except (TypeError, ValueError):
        raise InputError(f"candidates must be integers, got {candidates!r}") from None
    if values.size < 2 or values[0] < 1 or values[-1] > MAX_COLORS:
        raise InputError(f"candidates must be at least two numbers of colors from 1 to {MAX_COLORS}, "
                         f"got {candidates!r}")
    return values


def _visible_pixels(pixels):
    """The RGB of every pixel a viewer can see: transparent ones have no color to count."""
    flat = pixels.reshape(-1, pixels.shape[2])
    if flat.shape[1] == 4:
        flat = flat[flat[:, 3] > 0, :3]
    if len(flat) == 0:
        raise InputError("the image has no visible pixel to count colors of")
    return np.ascontiguousarray(flat[None])


def _sweep(pixels, candidates, space, rng, n_threads):
    """The histogram of the pixels, its colors' features, and {k: (centers, inertia
    over all pixels)} for each candidate, warm-starting each k from k - 1."""
    histogram = color_histogram(pixels, n_threads)
    features = colors_to_features(histogram.colors, space, np.float32)
    weights = histogram.counts.astype(np.float64)
    X, w, bin_of_color = bin_colors(histogram.colors, features, weights, COARSE_BITS[0])
    X = np.ascontiguousarray(X, dtype=np.float32)
    within = float(np.sum(weights * ((features - X[bin_of_color]) ** 2).sum(axis=1)))
    tol = weighted_tolerance(X, w, COARSE_TOL, n_threads)
    first, last = int(candidates[0]), int(candidates[-1])
    centers = plusplus_centers(X, w, min(first, len(X)), rng, default_local_trials(first), n_threads)[0]
    results = {}
    for k in range(first, last + 1):
        if k > len(centers):
            centers = _split_worst(X, w, centers, rng, n_threads)
        fit = lloyd(X, w, centers, MAX_ITER, tol, n_threads)
        centers = fit.centers
        if k in candidates:
            results[k] = (centers, fit.inertia + within)
    return histogram, features, results


def _split_worst(X, w, centers, rng, n_threads):
    """``centers`` with one more, drawn inside the cluster of largest error with
    probability proportional to weight times squared distance (k-means++'s rule);
    the same centers when every point already has its own."""
    labels, dist = assign_labels(X, centers, n_threads)
    error = w * dist * dist
    cluster_error = np.bincount(labels, weights=error, minlength=len(centers))
    worst = int(np.argmax(cluster_error))
    inside = np.flatnonzero((labels == worst) & (error > 0))
    if inside.size == 0:
        return centers
    chosen = rng.choice(inside, p=error[inside] / error[inside].sum())
    return np.vstack([centers, X[chosen].astype(np.float64)])


def kneedle_differences(candidates, inertia):
    """Kneedle's difference curve for a decreasing, convex curve: how far each
    point of the normalized curve lies below the chord from the first point to the
    last. The knee is its maximum."""
    x = (candidates - candidates[0]) / (candidates[-1] - candidates[0])
    span = inertia[0] - inertia.min()
    y = (inertia - inertia.min()) / span if span > 0 else np.zeros_like(inertia)
    return (1.0 - x) - y


def silhouettes(sample, centers_per_candidate, n_threads):
    """The mean silhouette of ``sample`` (n, d) labelled by its nearest center, for
    each candidate's centers; NaN where all of the sample falls in one cluster. A
    point alone in its cluster scores 0 (Rousseeuw's convention, as scikit-learn)."""
    sample = np.ascontiguousarray(sample, dtype=np.float64)
    sq = (sample ** 2).sum(axis=1)
    distances = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * sample @ sample.T, 0.0))
    np.fill_diagonal(distances, 0.0)
    scores = []
    for centers in centers_per_candidate:
        labels = assign_labels(sample, centers, n_threads)[0]
        scores.append(mean_silhouette(distances, labels))
    return np.array(scores)


def mean_silhouette(distances, labels):
    """The mean silhouette of points with pairwise ``distances`` (n, n) and ``labels``."""
    used, labels = np.unique(labels, return_inverse=True)
    if len(used) < 2:
        return np.nan
    order = np.argsort(labels, kind="stable")
    sizes = np.bincount(labels)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    sums = np.add.reduceat(distances[:, order], starts, axis=1)  # (n, n_clusters) distance sums
    own = sizes[labels]
    a = sums[np.arange(len(labels)), labels] / np.maximum(own - 1, 1)
    others = sums / sizes[None, :]
    others[np.arange(len(labels)), labels] = np.inf
    b = others.min(axis=1)
    s = np.where(own > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
    return float(s.mean())


def _fewest_reaching(pixels, candidates, quality, dither, scores, space, random_state, rng, n_threads):
    """The smallest candidate whose result's mean CIEDE2000 is at most ``quality``,
    and that result, by bisection over full fits with ``random_state`` (the largest
    candidate, with a warning, if none reaches it); records each one measured in
    ``scores``."""
    sample = _delta_e_sample(pixels, rng)
    kept = {}  # the last result at ``high``: the answer's, once the search ends

    def delta_e(index):
        if np.isnan(scores[index]):
            result = compress_image(pixels, int(candidates[index]), space=space, dither=dither,
                                    random_state=random_state, n_threads=n_threads)
            scores[index] = mean_delta_e(pixels, result.to_array(), sample)
            if scores[index] <= quality or index == len(candidates) - 1:
                kept.clear()
                kept[index] = result
        return scores[index]

    low, high = 0, len(candidates) - 1
    if delta_e(high) > quality:
        more = "allow more colors (at most 256) or " if candidates[high] < 256 else ""
        warnings.warn(f"{candidates[high]} colors reach a mean CIEDE2000 of {scores[high]:.2f}, short of the "
                      f"{quality:g} asked; {more}raise the target",
                      QualityNotReachedWarning, stacklevel=3)
        return candidates[high], kept[high]
    while low < high:  # the answer is in [low, high]; high reaches the target
        middle = (low + high) // 2
        if delta_e(middle) <= quality:
            high = middle
        else:
            low = middle + 1
    return candidates[high], kept[high]


def _delta_e_sample(pixels, rng):
    flat = pixels.reshape(-1, pixels.shape[2])
    visible = np.flatnonzero(flat[:, 3] > 0) if flat.shape[1] == 4 else np.arange(len(flat))
    return visible if len(visible) <= DELTA_E_SAMPLE else np.sort(rng.choice(visible, DELTA_E_SAMPLE, replace=False))


def mean_delta_e(original, compressed, rows):
    """Mean CIEDE2000 between two images of the same shape over the pixels ``rows``
    (flat indices)."""
    from skimage.color import deltaE_ciede2000, rgb2lab

    a = original.reshape(-1, original.shape[2])[rows, :3]
    b = compressed.reshape(-1, compressed.shape[2])[rows, :3]
    return float(np.mean(deltaE_ciede2000(rgb2lab(a[None] / 255.0)[0], rgb2lab(b[None] / 255.0)[0])))
