"""Where the colors go: the palette fit, coarse to fine, on a histogram whose colors
weigh by their pixels and the smoothness around them."""
import warnings

import numpy as np

from .. import kernels
from .._parallel import resolve_n_threads
from .._validation import check_random_state
from ..codebook import Codebook
from ..engine.common import weighted_tolerance
from ..engine.lloyd import lloyd
from ..engine.seeding import default_local_trials, filled_with_copies, plusplus_centers
from ..errors import FewDistinctPointsWarning, InputError, TransparencyWarning
from ..features import check_space, colors_to_features
from ..histogram import ColorHistogram, bin_colors, color_histogram
from ..io import load_image

MAX_COLORS = 256  # an indexed PNG or GIF holds at most 256 entries
# Coarse levels (bits per channel) used while they hold enough bins to be worth it.
# A 6-bit level between 5 bits and all colors cost 10-35% more time on 0.1-4 MP
# photos at k = 64 and 256 for no better error (within 1-2% either way).
COARSE_BITS = (5,)
MIN_BINS_PER_CLUSTER = 4
# k-means++ restarts on the 5-bit problem; the best seeds the finer levels. A single
# run leaves k-means in a worse local minimum on some photos at small k, where
# restarts are cheap; at large k one run is both costly and good enough.
RESTART_BUDGET = 32  # restarts = RESTART_BUDGET // k, between 1 and MAX_RESTARTS; 2 at k = 16
MAX_RESTARTS = 6
COARSE_TOL = 1e-3
FINE_TOL = 1e-4
MAX_ITER = 100
MAX_ITER_FINE = 6
# Where the colors go: pixels weigh by the smoothness around them, so the palette
# spends its colors where banding would show. A pixel whose 3x3 lightness range is
# SMOOTH_SCALE (OKLab L, 0-1) weighs half of a flat one, plus TEXTURE_FLOOR so that
# texture still counts. On the sample photos in OKLab, scale 0.05 raised SSIMULACRA2
# by 4.5 / 3.4 / 0.7 at k = 16 / 64 / 256 and lowered butteraugli at each k (0.02
# scored higher on SSIMULACRA2 at 64 and 256 but worse on butteraugli at 16).
SMOOTH_SCALE = 0.05
TEXTURE_FLOOR = 0.25
# Images of up to SMOOTHNESS_BAND_PIXELS are weighed in one serial pass; larger ones
# in bands of about that many pixels, at most MAX_SMOOTHNESS_BANDS (each band holds
# a weight per color: 8 bytes x colors). On the 17.9 MP photo, 8 bands on two
# threads took 43 ms against 173 ms for the serial pass over a per-pixel copy.
SMOOTHNESS_BAND_PIXELS = 1 << 19
MAX_SMOOTHNESS_BANDS = 8


def fit_palette(image, n_colors, *, space="oklab", random_state=None, locked_colors=None, alpha_threshold=8,
                weigh_smoothness=None, n_threads=None, max_pixels=None):
    """The palette (n, 3|4) uint8 that :func:`compress_image` learns for ``image``
    with these arguments, without remapping the image to it."""
    loaded = load_image(image, max_pixels=max_pixels)
    check_space(space)
    return fitted_codebook(loaded.pixels, n_colors, space, random_state, None, locked_colors, alpha_threshold,
                           weigh_smoothness, resolve_n_threads(n_threads))[3].palette


def fitted_codebook(pixels, n_colors, space, random_state, palette, locked_colors, alpha_threshold,
                    weigh_smoothness, n_threads):
    """(pixels matched to the codebook, their histogram, its colors' features in
    ``space``, the Codebook, the fit of the histogram's colors whose centers are the
    codebook's entries unrounded, or None): the codebook given by ``palette``, or learned."""
    rng = check_random_state(random_state)
    if palette is not None:
        book = fixed_codebook(np.asarray(palette), pixels, space)
        pixels = book.match_channels(pixels)
        histogram = color_histogram(pixels, n_threads)
        return pixels, histogram, colors_to_features(histogram.colors, space, np.float32), book, None
    n_colors = check_n_colors(n_colors)
    locked = None if locked_colors is None else Codebook(np.asarray(locked_colors), space).palette
    histogram = color_histogram(pixels, n_threads)
    features = colors_to_features(histogram.colors, space, np.float32)
    fitted = histogram
    if space != "rgb" if weigh_smoothness is None else weigh_smoothness:
        # In OKLab the features already hold the lightness the weights are made of.
        known = features[:, 0] if space == "oklab" and histogram.colors.shape[1] == 3 else None
        fitted = ColorHistogram(histogram.colors, smoothness_weights(histogram, pixels.shape, known, n_threads),
                                histogram.inverse)
    book, fit = learn_palette(fitted, features, n_colors, space, rng, n_threads, locked, alpha_threshold)
    return pixels, histogram, features, book, fit


def smoothness_weights(histogram, shape, lightness=None, n_threads=1):
    """Each color's weight for the fit: the sum over its pixels of how smooth their
    3x3 neighbourhood is in OKLab lightness (1 + TEXTURE_FLOOR when flat,
    TEXTURE_FLOOR in texture), in place of its pixel count. ``lightness``: the
    colors' OKLab L (float32), when already computed."""
    if lightness is None:
        lightness = colors_to_features(histogram.colors[:, :3], "oklab", np.float32)[:, 0]
    else:
        lightness = np.array(lightness, dtype=np.float32)  # a copy: transparent colors are zeroed below
    if histogram.colors.shape[1] == 4:  # the colors under transparent pixels are nobody's
        lightness[histogram.colors[:, 3] == 0] = 0.0
    # Bands of rows summed apart, then in order: a count set by the image's size,
    # not the threads, so every thread count gives the same weights.
    n_bands = min(MAX_SMOOTHNESS_BANDS, -(-len(histogram.inverse) // SMOOTHNESS_BAND_PIXELS))
    band_weights = np.zeros((n_bands, len(histogram.colors)))
    kernels.histogram.smoothness_weights(np.ascontiguousarray(lightness), histogram.inverse, shape[1],
                                         SMOOTH_SCALE, TEXTURE_FLOOR, band_weights, n_threads)
    weights = band_weights[0]
    for band in band_weights[1:]:
        weights += band
    return weights


def fixed_codebook(palette, pixels, space):
    """The Codebook of a given palette for these pixels. An opaque palette for an
    image with transparency gains one transparent entry, so invisible pixels stay
    invisible; semi-transparent pixels take opaque colors, with a warning."""
    book = Codebook(palette, space)
    if pixels.shape[2] == 4 and book.palette.shape[1] == 3:
        alpha = pixels[:, :, 3]
        opaque = np.hstack([book.palette, np.full((len(book.palette), 1), 255, np.uint8)])
        entries = [opaque, np.zeros((1, 4), np.uint8)] if (alpha == 0).any() else [opaque]
        book = Codebook(np.vstack(entries), space)
        partial = int(((alpha > 0) & (alpha < 255)).sum())
        if partial:
            warnings.warn(f"{partial} semi-transparent pixels written opaque: the palette has no "
                          "semi-transparent colors", TransparencyWarning, stacklevel=3)
    if len(book.palette) > MAX_COLORS:
        raise InputError(f"a palette for an indexed image holds at most {MAX_COLORS} colors, "
                         f"this one has {len(book.palette)}"
                         + (" with the transparent entry" if book.palette.shape[1] > palette.shape[1] else ""))
    return book


def check_n_colors(n_colors):
    if isinstance(n_colors, bool) or not isinstance(n_colors, (int, np.integer)) or not 1 <= n_colors <= MAX_COLORS:
        raise InputError(f"n_colors must be an integer from 1 to {MAX_COLORS}, got {n_colors!r}")
    return int(n_colors)


def learn_palette(histogram, features, n_colors, space, rng, n_threads, locked=None, alpha_threshold=8):
    """Fit a Codebook of ``n_colors`` to an image's ColorHistogram, whose colors are
    ``features`` (float32) in ``space``. Returns (the Codebook, the fit's
    LloydResult when the palette is its centers rounded, entry for entry, and its
    rows are the histogram's colors, else None): the remap starts from its geometry
    and bounds instead of searching anew."""
    colors, weights = histogram.colors, histogram.counts.astype(np.float64)
    reserved = []
    if colors.shape[1] == 4:
        transparent = colors[:, 3] == 0
        if transparent.any():
            reserved.append(np.zeros(4, dtype=np.uint8))  # one entry for every invisible pixel
        weights = np.where(colors[:, 3] < alpha_threshold, 0.0, weights)
    if locked is not None:
        locked = Codebook(locked, space).match_channels(locked)
        reserved.extend(locked)
    n_learned = n_colors - len(reserved)
    visible = weights > 0
    taken = " and ".join(part for part in (
        "one transparent entry" if len(reserved) > (0 if locked is None else len(locked)) else "",
        f"{len(locked)} locked colors" if locked is not None else "") if part)
    if n_learned < 0 or (n_learned == 0 and (not reserved or (visible.any() and locked is None))):
        raise InputError(f"n_colors={n_colors} leaves no color for the visible pixels after {taken}; "
                         "ask for more colors")
    if n_learned == 0 or not visible.any():
        return Codebook(np.array(reserved, dtype=np.uint8).reshape(-1, colors.shape[1]), space), None
    fit = None
    if visible.sum() <= n_learned:
        if visible.sum() < n_learned:
            n_visible = int(visible.sum())
            asked = f"the {n_colors} asked" if not reserved else f"the {n_learned} of the {n_colors} asked left after {taken}"
            warnings.warn(f"only {n_visible} distinct visible color{'s' if n_visible > 1 else ''}, fewer than "
                          f"{asked}; keeping {'them all' if n_visible > 1 else 'it'}",
                          FewDistinctPointsWarning, stacklevel=3)
        learned = colors[visible]
    else:
        preset = colors_to_features(locked, space) if locked is not None else None
        if not visible.all():  # a boolean index copies (1 ms for 113 000 colors)
            colors, features, weights = colors[visible], features[visible], weights[visible]
        fit = _fit_centers(colors, features, weights, n_learned, rng, n_threads, preset)
        learned = Codebook.from_centers(fit.centers, space).palette
        if locked is not None:
            learned = learned[len(locked):]
    book = Codebook(np.vstack([np.array(reserved, dtype=np.uint8).reshape(-1, colors.shape[1]), learned]), space)
    return book, None if reserved or not visible.all() else fit


def _fit_centers(colors, features, weights, n_learned, rng, n_threads, preset=None):
    """Weighted k-means of the colors, coarse to fine; preset centers stay fixed.
    Returns the last level's LloydResult, fitted on these colors."""
    n_fixed = 0 if preset is None else len(preset)
    k = n_learned + n_fixed
    fixed = np.arange(k) < n_fixed
    levels = [bin_colors(colors, features, weights, bits) + (True,) for bits in COARSE_BITS]
    levels = [level for level in levels if len(level[0]) >= MIN_BINS_PER_CLUSTER * k]
    levels.append((features, weights, None, False))
    fitted = None
    # The last level (all colors) is fitted for its centers alone: the remap labels
    # the colors with the palette, so the fit's own labels would go unused.
    for X, w, _, coarse in levels:
        X = np.ascontiguousarray(X, dtype=np.float32)
        tol = weighted_tolerance(X, w, COARSE_TOL if coarse else FINE_TOL, n_threads)
        if fitted is None:
            restarts = min(MAX_RESTARTS, max(1, RESTART_BUDGET // k)) if coarse else 1
            fitted = _best_seeded_fit(X, w, k, rng, n_threads, preset, fixed, tol, restarts, labelled=coarse)
        else:  # refine the coarser level's centers, starting from their geometry
            fitted = lloyd(X, w, fitted.centers, MAX_ITER if coarse else MAX_ITER_FINE, tol, n_threads, fixed,
                           fitted.geometry, labelled=coarse)
    return fitted


def _best_seeded_fit(X, w, k, rng, n_threads, preset, fixed, tol, restarts, labelled):
    best = None
    labelled = labelled or restarts > 1  # restarts are compared by their inertia
    for _ in range(restarts):
        seeds, _ = plusplus_centers(X, w, k, rng, default_local_trials(k), n_threads, preset)
        seeds = filled_with_copies(seeds, k)  # fewer bins than clusters: copies, relocated by Lloyd
        result = lloyd(X, w, seeds, MAX_ITER, tol, n_threads, fixed, labelled=labelled)
        if best is None or result.inertia < best.inertia:
            best = result
    return best
