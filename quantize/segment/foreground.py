"""Foreground extraction: codebooks as color models, a graph cut, a few rounds.

The GrabCut loop (Rother, Kolmogorov and Blake 2004) with k-means codebooks in
place of EM-fitted mixtures:

1. Hard labels: outside the box (or, without one, a thin frame at the chosen
   image edges) is background; seed masks add more. Everything else starts as
   foreground.
2. Fit a codebook to the colors of each side (on distinct colors with counts)
   and make each a Gaussian mixture: the cost of a pixel being foreground is
   -log p(color | foreground), likewise for background.
3. Graph cut with a contrast-sensitive 8-connected smoothness term.
4. Refit both codebooks on the new labels; repeat until few pixels change.

Max-flow is most of the time, so on large images the rounds run on an image
downscaled by an integer factor, and a final cut at full resolution decides
only a band around the coarse boundary (on very large ones, after a cut at an
intermediate scale in a band around it, and from the colors in that band, with
color models and contrast statistics from samples of the photo).
"""
import math

import numpy as np

from .. import kernels
from .._parallel import resolve_n_threads, threads_for
from .._validation import check_random_state
from ..errors import InputError
from ..features import check_space, colors_to_features
from ..histogram import color_histogram
from ..io import load_image
from . import graphcut
from .components import label_parts
from .confidence import confidence_of
from .mixture import fit_mixture

EDGES = ("top", "bottom", "left", "right")
# Width of the no-box background frame, as a fraction of the shorter image side. On
# fgbg without a box (bench/segment.py, two subject colors, seeds 0 / 1): mean IoU
# 0.596 / 0.591 at 0.03 against 0.584 / 0.588 at 0.02 (0.025: 0.590, 0.04: 0.593,
# 0.05: 0.591): a wider frame shows the background model more of the scene's edge.
FRAME_FRACTION = 0.03
# The rounds run on at most about this many free pixels; above it the image is
# downscaled by an integer factor and a full-resolution cut refines the boundary.
COARSE_PIXELS = 40_000
# Above this factor the coarse cut is refined twice, at an intermediate scale and at
# full resolution, each in a band one coarser pixel wide: at one step, an 18 MP
# photo's full-resolution band was 42 pixels wide and held most of its memory.
REFINE_STEP = 4
# Stop the rounds when fewer than this fraction of the free pixels changed label.
CONVERGED_FRACTION = 0.001
# Default weight of the boundary term and size of the subject's codebook, with a box.
# A light boundary term lets the color models follow the subject: on fgbg, mean IoU
# 0.671 / 0.673 / 0.668 at 30 against 0.659 / 0.654 / 0.663 at 50 (seeds 0-2; 25 and
# 35-40 between). Two colors scored higher there (0.713 / 0.718 with 20, horses 0.753
# -> 0.782) but lost on DAVIS's many-colored subjects (0.657 -> 0.644), and lost
# astronaut.png's collar and suit boxed from her chin down.
SMOOTHNESS = 30.0
N_CODEWORDS = 5
# Without a box, the first foreground model learns from the whole image less its
# frame, mostly background in a busy scene: a model of two colors cannot take in that
# background's colors as well as the subject's, and a lighter boundary term then lets
# the colors decide. On fgbg (bench/segment.py, with the frame of 0.02 then, see
# FRAME_FRACTION), seeds 0 / 1: mean IoU 0.584 / 0.588 at 2 colors and 20 against
# 0.566 / 0.563 at 5 and 30 (2 and 30: 0.571 / 0.576; 3 and 30: 0.571 / 0.570; 1:
# 0.561; at 2 colors, 15: 0.583, 25: 0.576). Other background codebooks than 16 lost:
# 8 and 12 (at 3 colors) 0.561 and 0.549, 24 (at 5) 0.552. The cuts the command kept
# at the confidence line of 0.92: 55 at 0.800 (44 of the 60 horses) against 44 at
# 0.785 (34); the line is 0.93 since (confidence.MIN_CONFIDENCE). Before the subject
# prior (PRIOR_WEIGHT), 5 colors and 50 scored best.
NO_BOX_SMOOTHNESS = 20.0
NO_BOX_CODEWORDS = 2
# Where a box reaches the image's edge, the photo crops the scene there, and the box
# may hold background that nothing outside it shows: a horse's box down to the bottom
# edge has grass below the horse that only the box holds, so the first color models
# call the grass foreground and the cut keeps the whole box. Such a box is also cut a
# second way, its first background model taking the box's strip along those edges
# (EDGE_STRIP of the box's extent deep; the cut still decides those pixels), less what
# it drops away from the edges, and the cut whose confidence is higher is kept, the
# strip's on a tie: a portrait cropped at the bottom keeps its shoulders, whose own cut
# is the surer one (astronaut.png boxed whole: confidence 0.91 against 0.74 for the cut
# that lost her collar and helmet); boxed from her chin down across the whole width,
# the strip's surer cut dropped her black collar with the black table at the edge
# until the parts away from the edges stayed. On fgbg with a box (bench/segment.py),
# seeds 0 / 1 / 2: mean IoU 0.705 / 0.696 / 0.704 against 0.672 / 0.669 / 0.667 (horses
# 0.693 -> 0.753); the strip's cut always: 0.703 / 0.704 / 0.700, but the portrait
# lost; 0.08 and 0.12 deep scored alike.
EDGE_STRIP = 0.1
# Without a box or foreground seeds, the cut adds to each free pixel's costs this
# weight times the log of the subject prior (saliency.subject_prior) of its side, in
# every round but the last, which is the color models' own, so the confidence judges
# a cut they make. On fgbg (bench/segment.py), at the boundary weight 50 and five
# subject colors (20 and two since: NO_BOX_SMOOTHNESS, where a weight of 0.75 scored
# 0.586 against 0.584, not kept), seeds 0 / 1: no-box mean IoU 0.535 /
# 0.527 against 0.516 / 0.503, the cuts the command keeps 41 at 0.813 / 41 at 0.787
# (33 / 32 horses) against 43 at 0.790 / 39 at 0.778 (34 / 32). With the prior in the
# last round too: 0.549 / 0.538, but 30 / 27 horses kept; weights 1 and 1.5 scored
# 0.544 / 0.541 with 28 and 21 horses kept. As the first labels instead of a cost: 0.453.
PRIOR_WEIGHT = 0.5


def segment_foreground(image, box=None, *, fg_seeds=None, bg_seeds=None, edges=EDGES,
                       n_codewords=None, n_background_codewords=16, smoothness=None, max_rounds=5,
                       min_size=0.001, max_hole=0.01, keep="all", space="lab",
                       random_state=None, n_threads=None, max_pixels=None, return_confidence=False):
    """Separate the subject of a photo from its background.

    Parameters
    ----------
    image : path, PIL image or ndarray (M, N[, C])
        Loaded with :func:`quantize.load_image` (EXIF orientation applied).
    box : (x, y, width, height), optional
        A rectangle around the subject, in pixels (x = column, y = row of the
        top-left corner). Pixels outside it are background. Parts beyond the
        image are clipped; a box outside the image, or a width or height below 1, is an error.
        A box (with the foreground seeds) small against the image is cut in a
        window around it (see ``working_window``).
    fg_seeds, bg_seeds : ndarray (M, N) bool, optional
        Pixels known to be foreground / background (scribbles, points).
    edges : iterable of {"top", "bottom", "left", "right"}
        Without a box, a thin frame along these edges is the background prior.
        Leave out an edge the subject touches; an empty tuple uses only the seeds.
    n_codewords, n_background_codewords : int
        Codebook sizes of the foreground and background color models.
        ``n_codewords`` defaults to ``N_CODEWORDS`` (5) with a box,
        ``NO_BOX_CODEWORDS`` (2) without (measured on fgbg, see their comments).
    smoothness : float, optional
        Weight of the contrast-sensitive boundary term (GrabCut's gamma).
        Default: ``SMOOTHNESS`` (30) with a box, ``NO_BOX_SMOOTHNESS`` (20) without.
    max_rounds : int
        Refit-and-cut rounds at most.
    min_size : float
        Foreground parts below this fraction of what is not known background
        (the box and the seeds; the image less its frame without a box) are
        dropped: a subject's parts are measured against its box, not a large photo.
    max_hole : float
        Holes below this fraction of the foreground are filled.
    keep : {"all", "largest"}
        Keep every foreground component, or only the largest.
    space : {"lab", "oklab", "rgb"}
        The color space of the color models and the contrast term.
    return_confidence : bool
        Also return how sure the result is, 0 to 1 (the measure of
        :func:`quantize.segment.foreground_confidence`, with this call's random
        draws). This function always returns its cut; the command line reports a
        cut made without a box or foreground seeds below ``MIN_CONFIDENCE``
        (0.93) as failed, "no clear subject", and an empty or full one always.

    Returns
    -------
    mask : ndarray (M, N) bool
        True on the foreground, the shape of the image after EXIF orientation.
        Fully transparent pixels of an RGBA image are background.
    confidence : float, with ``return_confidence``

    Examples
    --------
    >>> import numpy as np, quantize
    >>> rng = np.random.default_rng(0)
    >>> image = rng.integers(0, 80, (60, 80, 3)).astype(np.uint8)  # dark texture
    >>> rows, cols = np.mgrid[:60, :80]
    >>> disc = (rows - 30) ** 2 + (cols - 40) ** 2 < 15 ** 2
    >>> image[disc] = (220, 40, 40)
    >>> mask = quantize.segment_foreground(image, box=(20, 10, 40, 40), random_state=0)
    >>> bool((mask == disc).mean() > 0.99)
    True
    """
    loaded = load_image(image, max_pixels=max_pixels).pixels
    pixels = loaded[:, :, :3]
    fg_hard, bg_hard = hard_labels(pixels.shape[:2], box, fg_seeds, bg_seeds, edges)
    if loaded.shape[2] == 4:  # what is already transparent is background
        bg_hard |= (loaded[:, :, 3] == 0) & ~fg_hard
    check_space(space)
    if keep not in ("all", "largest"):
        raise InputError(f"keep must be 'all' or 'largest', got {keep!r}")
    boxed = bounds_the_subject(box, pixels.shape[:2])  # a box over the whole image is none
    if n_codewords is None:
        n_codewords = N_CODEWORDS if boxed else NO_BOX_CODEWORDS
    for name, value in (("n_codewords", n_codewords), ("n_background_codewords", n_background_codewords),
                        ("max_rounds", max_rounds)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InputError(f"{name} must be a positive integer, got {value!r}")
    if smoothness is None:
        smoothness = SMOOTHNESS if boxed else NO_BOX_SMOOTHNESS
    if not smoothness >= 0:
        raise InputError(f"smoothness must be >= 0, got {smoothness!r}")
    model = _Model(space, n_codewords, n_background_codewords, smoothness,
                   check_random_state(random_state), resolve_n_threads(n_threads))
    window = working_window(bg_hard)
    if not boxed and not fg_hard.any() and window == (slice(None), slice(None)):
        model.prior_edges = tuple(edges)  # where the background shows: the frame's edges
    pixels, fg_hard, bg_hard = pixels[window], fg_hard[window], bg_hard[window]
    strip = EDGE_STRIP if boxed else 0.0  # not along edges --edges leaves out
    mask = _extract(pixels, fg_hard, bg_hard, model, max_rounds, strip)
    # Parts are measured against what was not known background (the box): a subject's
    # parts, not specks, in a box that holds a small share of the photo.
    undecided = float(np.count_nonzero(~bg_hard)) / bg_hard.size
    mask = clean_mask(mask, min_size=min_size * undecided, max_hole=max_hole, keep=keep)
    # Filling holes must not take back what the seeds, the box or the frame say is background.
    mask = (mask | fg_hard) & ~bg_hard
    confidence = confidence_of(pixels, mask, space, model.rng, model.n_threads) if return_confidence else None
    whole = mask
    if mask.shape != loaded.shape[:2]:
        whole = np.zeros(loaded.shape[:2], dtype=bool)
        whole[window] = mask
    return (whole, confidence) if return_confidence else whole


# A box (or seeds) leaving most of a photo known background: the cut runs in a window
# around what is not known, grown by WINDOW_MARGIN of its size on every side, when that
# window holds at most MAX_WINDOW_SHARE of the image. The background's color model
# then learns from the subject's surroundings. Without it, an 80 x 80 box on an 18 MP
# photo cut the whole photo's grid (few undecided pixels, so no downscale): 26.7 s and
# 1.13 GB, against 3.8 s and 458 MB. fgbg's photos pasted into others scaled 3x
# (bench/segment.py --canvas 3): box-mode IoU 0.487 against 0.472 (a margin of 0.5:
# 0.492, but on fgbg as it is 10 boxes took the window and lost 0.026 each, at 1.0 three
# lost 0.021 each).
WINDOW_MARGIN = 1.0
MAX_WINDOW_SHARE = 0.25


def working_window(bg_hard):
    """The (rows, cols) slices of the image a cut needs, given its known background
    ``bg_hard`` (M, N) bool: the whole image, or a window around the rest."""
    rows, cols = surroundings(~bg_hard)
    if (rows.stop - rows.start) * (cols.stop - cols.start) > MAX_WINDOW_SHARE * bg_hard.size:
        return slice(None), slice(None)
    return rows, cols


def surroundings(region):
    """The (rows, cols) slices of ``region``'s (M, N) bool bounding box grown by
    WINDOW_MARGIN of its size on every side, clipped to the image (all of it when
    ``region`` is empty)."""
    n_rows, n_cols = region.shape
    bounds = _bounding_box(region)
    if bounds is None:
        return slice(0, n_rows), slice(0, n_cols)
    top, bottom, left, right = bounds
    grow_rows, grow_cols = math.ceil(WINDOW_MARGIN * (bottom - top)), math.ceil(WINDOW_MARGIN * (right - left))
    return (slice(max(0, top - grow_rows), min(n_rows, bottom + grow_rows)),
            slice(max(0, left - grow_cols), min(n_cols, right + grow_cols)))


def _bounding_box(region):
    """(top, bottom, left, right) ints of the (M, N) bool ``region``'s bounding box, ends
    excluded; None when it is empty."""
    rows, cols = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
    if not len(rows):
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


# A cut the colors settle comes out the same whatever the seed of the color models'
# k-means; one that flips between seeds is a guess. On fgbg without a box
# (bench/segment.py), the cuts above the command's confidence threshold, kept only when
# the cuts of seeds s, s + 1 and s + 2 overlap by at least MIN_STABILITY (IoU, the least
# pair), averaged IoU 0.790 / 0.778 / 0.790 for s = 0 / 1 / 2 (43 / 39 / 39 kept, 34 /
# 32 / 32 of the 60 horses), against 0.772 / 0.723 / 0.729 (44 / 43 / 45 kept) without
# the check; at s = 0, 0.6-0.8 kept 41-43 at 0.79.
STABILITY_CUTS = 3
MIN_STABILITY = 0.7


def cut_stability(image, mask, *, random_state=0, n_cuts=STABILITY_CUTS, **options):
    """How little a cut depends on the random seed of its color models, 0 to 1: the
    least IoU among ``mask`` (the cut made with ``random_state``) and the cuts of
    ``segment_foreground(image, **options)`` with the next ``n_cuts - 1`` seeds
    (``random_state + 1``, ...; drawn from it when it is not an int).

    Examples
    --------
    >>> import numpy as np, quantize
    >>> from quantize.segment import cut_stability
    >>> image = np.zeros((60, 80, 3), np.uint8); image[15:45, 20:60] = (220, 40, 40)
    >>> mask = quantize.segment_foreground(image, random_state=0)
    >>> round(cut_stability(image, mask, random_state=0), 2)
    1.0
    """
    pixels = load_image(image).pixels
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != pixels.shape[:2]:
        raise InputError(f"mask must have the image's shape {pixels.shape[:2]}, got {mask.shape}")
    if isinstance(n_cuts, bool) or not isinstance(n_cuts, (int, np.integer)) or n_cuts < 1:
        raise InputError(f"n_cuts must be a positive integer, got {n_cuts!r}")
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        seeds = [int(random_state) + i for i in range(1, n_cuts)]
    else:
        seeds = [int(v) for v in check_random_state(random_state).integers(0, 2 ** 31, n_cuts - 1)]
    cuts = [mask] + [segment_foreground(pixels, random_state=seed, **options) for seed in seeds]
    return float(min(_iou(a, b) for i, a in enumerate(cuts) for b in cuts[i + 1:])) if len(cuts) > 1 else 1.0


def _iou(a, b):
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 1.0


def bounds_the_subject(box, shape):
    """Whether ``box`` (validated) leaves some of the image outside, as background."""
    return box is not None and check_box(box, shape) != (0, shape[0], 0, shape[1])


def hard_labels(shape, box, fg_seeds, bg_seeds, edges):
    """The (fg_hard, bg_hard) masks from a box, seed masks and background edges."""
    fg_hard = _seed_mask(fg_seeds, shape, "fg_seeds")
    bg_hard = _seed_mask(bg_seeds, shape, "bg_seeds")
    if (fg_hard & bg_hard).any():
        raise InputError("fg_seeds and bg_seeds overlap: a pixel cannot be both")
    if bounds_the_subject(box, shape):
        top, bottom, left, right = check_box(box, shape)
        known = np.ones(shape, dtype=bool)  # outside the box
        known[top:bottom, left:right] = False
    else:  # no box, or one over the whole image, which says nothing: the edge frame
        known = _frame(shape, edges)
    bg_hard = (bg_hard | known) & ~fg_hard
    if not bg_hard.any():
        covered = " (the foreground seeds cover all of it)" if fg_hard.any() else ""
        raise InputError(f"nothing marks the background{covered}: give a box, background edges or background seeds")
    return fg_hard, bg_hard


def _frame(shape, edges):
    """The frame FRAME_FRACTION of the short side wide along ``edges``."""
    edges = tuple(edges)
    unknown = [edge for edge in edges if edge not in EDGES]
    if unknown:
        raise InputError(f"edges must be among {', '.join(EDGES)}; got {unknown[0]!r}")
    width = max(1, round(FRAME_FRACTION * min(shape)))
    frame = np.zeros(shape, dtype=bool)
    for edge in edges:
        frame[{"top": np.s_[:width], "bottom": np.s_[-width:],
               "left": np.s_[:, :width], "right": np.s_[:, -width:]}[edge]] = True
    return frame


def check_box(box, shape):
    """(top, bottom, left, right) of ``box`` (x, y, width, height) clipped to an
    image of ``shape``; InputError for a box without area or outside the image."""
    try:
        x, y, width, height = (int(v) for v in box)
    except (TypeError, ValueError):
        raise InputError(f"box must be four integers (x, y, width, height), got {box!r}") from None
    if width <= 0 or height <= 0:
        raise InputError(f"box {x},{y},{width},{height}: width and height must be at least 1, "
                         f"got {width} and {height}")
    rows, cols = shape
    top, bottom, left, right = max(0, y), min(rows, y + height), max(0, x), min(cols, x + width)
    if top >= bottom or left >= right:
        raise InputError(f"box {x},{y},{width},{height} lies outside the {cols}x{rows} image")
    return top, bottom, left, right


def _seed_mask(seeds, shape, name):
    if seeds is None:
        return np.zeros(shape, dtype=bool)
    seeds = np.asarray(seeds)
    if seeds.shape != shape:
        raise InputError(f"{name} must have the image's shape {shape}, got {seeds.shape}")
    return seeds.astype(bool)


class _Model:
    """The settings of one extraction and the random generator shared by its fits."""

    def __init__(self, space, n_fg, n_bg, smoothness, rng, n_threads):
        self.space, self.n_fg, self.n_bg = space, n_fg, n_bg
        self.smoothness, self.rng, self.n_threads = smoothness, rng, n_threads
        self.prior_edges = ()  # the frame's edges when the subject prior guides the rounds


def _extract(pixels, fg_hard, bg_hard, model, max_rounds, strip):
    free = ~(fg_hard | bg_hard)
    factor = math.ceil(math.sqrt(free.sum() / COARSE_PIXELS))
    if factor <= 1:
        return _surer_rounds(pixels, fg_hard, bg_hard, model, max_rounds, strip)
    coarse_mask = _surer_rounds(_downscale(pixels, factor, model.n_threads),
                                _shrink(fg_hard, factor, True, model.n_threads),
                                _shrink(bg_hard, factor, False, model.n_threads), model, max_rounds, strip)
    mask, scale = coarse_mask, factor  # the latest cut, in blocks of scale x scale pixels
    if factor > REFINE_STEP:  # a level between, so the full-resolution band stays narrow
        middle = -(-factor // REFINE_STEP)
        fg_middle = _shrink(fg_hard, middle, True, model.n_threads)
        bg_middle = _shrink(bg_hard, middle, False, model.n_threads)
        start = (_resample(mask, factor, middle, fg_middle.shape) | fg_middle) & ~bg_middle
        decide = boundary_band(start, -(-factor // middle), model.n_threads) & ~(fg_middle | bg_middle)
        grid = _Grid(_downscale(pixels, middle, model.n_threads), model, needed=decide)
        mask = _round(grid, start, decide, model)
        scale = middle
    mask = (_resample(mask, scale, 1, pixels.shape[:2]) | fg_hard) & ~bg_hard
    # Only a band around the coarser boundary is decided again, at full resolution.
    decide = boundary_band(mask, scale, model.n_threads) & free
    if factor > REFINE_STEP:
        return _refine_in_band(pixels, mask, decide, scale, model)
    return _round(_Grid(pixels, model, needed=decide), mask, decide, model)


# A photo with an intermediate level (over REFINE_STEP^2 * COARSE_PIXELS free
# pixels, 0.64 M) is cut at full resolution from colors read in the band only; the
# color models and the contrast's beta come from samples of about this many pixels
# instead of every pixel: on the 18 MP astronaut the whole-image statistics took
# 2.2 of the 3.6 s of that level.
SAMPLE_PIXELS = 1_000_000


def _refine_in_band(pixels, mask, decide, scale, model):
    """The full-resolution cut of a large photo's band ``decide``, from ``mask``: the
    colors of the band and of the neighbours its pairs reach; the color models fitted
    to every s-th pixel of every s-th row (s the step that samples SAMPLE_PIXELS),
    beta from pairs of neighbouring rows, one pair every t rows alike."""
    if not mask.any() or mask.all() or not decide.any():
        return mask  # nothing to refine (as _round): the caller reports an empty or full cut
    n_threads = model.n_threads
    step = max(1, math.floor(math.sqrt(mask.size / SAMPLE_PIXELS)))
    sample = _Grid(np.ascontiguousarray(pixels[::step, ::step]), model, weights=False)
    inside = sample.color_weights(mask[::step, ::step])
    if not inside.any() or not (sample.counts - inside).any():  # a side too thin for the sample: every pixel
        return _round(_Grid(pixels, model, needed=decide), mask, decide, model)
    reach = boundary_band(mask, scale + 1, n_threads)  # the band, and one pixel further: every pair's ends
    band = color_histogram(np.ascontiguousarray(pixels[reach])[:, None, :], n_threads)
    features = colors_to_features(band.colors, model.space)
    index = np.zeros(mask.shape, dtype=np.int32)  # read only where reach is
    index[reach] = band.inverse
    weights = graphcut.band_contrast_weights(index, features, model.smoothness, decide,
                                             threads_for(index.size, n_threads),
                                             beta=_sampled_beta(pixels, model))  # the last histogram
    colors_free = index[decide]
    costs = []
    for weights_of_colors, n_codewords in ((inside, model.n_fg), (sample.counts - inside, model.n_bg)):
        mixture = fit_mixture(sample.features, weights_of_colors, n_codewords, model.rng, n_threads)
        costs.append(mixture.negative_log_likelihood(features, n_threads)[colors_free])
    return graphcut.cut(costs[0], costs[1], decide, mask, weights)


def _sampled_beta(pixels, model):
    """The contrast's beta from pairs of neighbouring rows (r, r + 1), one every t
    rows (t such that they hold about SAMPLE_PIXELS pixels)."""
    n_rows = pixels.shape[0]
    step = max(1, math.ceil(2 * pixels.shape[0] * pixels.shape[1] / SAMPLE_PIXELS))
    tops = np.arange(0, n_rows - 1, step)
    rows = np.ascontiguousarray(pixels[np.stack([tops, tops + 1], axis=1).ravel()])
    # The last histogram of the cut: its 64 MB table, 3.6 bytes of every pixel of 18 MP,
    # would be held through the cut (the peak of the run) otherwise.
    histogram = color_histogram(rows, model.n_threads, release_table=True)
    index = histogram.inverse.reshape(rows.shape[:2])
    return graphcut.contrast_beta(index, colors_to_features(histogram.colors, model.space),
                                  threads_for(index.size, model.n_threads), row_pairs=True)


def boundary_band(mask, radius, n_threads=None):
    """The pixels within ``radius`` (a square's half side) of the (M, N) bool mask's
    boundary, on either side: a maximum filter minus a minimum filter of the mask,
    in one kernel (0.06 s on 18 MP where scikit-image's dilation and erosion took 0.64 s)."""
    mask = np.ascontiguousarray(mask, dtype=bool)
    band = np.empty(mask.shape, dtype=bool)
    kernels.contrast.boundary_band(mask.view(np.uint8), int(radius), np.empty(mask.shape, dtype=np.uint8), band,
                                   threads_for(mask.size, resolve_n_threads(n_threads)))
    return band


def _resample(mask, factor, finer, shape):
    """A mask on a grid of ``factor`` x ``factor``-pixel blocks, on a grid of ``finer``
    x ``finer``-pixel blocks instead (``shape`` of them; ``finer`` need not divide
    ``factor``): each finer block takes the coarse block under its center."""
    rows = np.minimum((np.arange(shape[0]) * finer + finer // 2) // factor, mask.shape[0] - 1)
    cols = np.minimum((np.arange(shape[1]) * finer + finer // 2) // factor, mask.shape[1] - 1)
    return mask[rows[:, None], cols[None, :]]


class _Grid:
    """An image's distinct colors, their features, and the contrast weights (of
    the pairs that touch ``needed`` pixels only, when given; none without ``weights``)."""

    def __init__(self, pixels, model, needed=None, weights=True):
        histogram = color_histogram(pixels, model.n_threads)
        self.shape = pixels.shape[:2]
        self.counts = histogram.counts
        self.inverse = histogram.inverse
        self.features = colors_to_features(histogram.colors, model.space)
        index = self.inverse.reshape(self.shape)
        if not weights:  # colors only, for the color models
            self.weights = None
        elif needed is None:
            self.weights = graphcut.indexed_contrast_weights(
                lambda start, stop: self.features[index[start:stop]], self.shape, self.features.shape[1],
                model.smoothness)
        else:  # the full-resolution band of a large image: kernels read the colors through the index
            self.weights = graphcut.band_contrast_weights(index, self.features, model.smoothness, needed,
                                                          threads_for(index.size, model.n_threads))

    def color_weights(self, region):
        """Pixel count of each distinct color inside the (M, N) bool ``region``."""
        counts = np.zeros(len(self.counts), dtype=np.int64)
        kernels.histogram.counts_in_region(self.inverse, np.ascontiguousarray(region).ravel(), counts)
        return counts.astype(np.float64)


def _surer_rounds(pixels, fg_hard, bg_hard, model, max_rounds, strip):
    """The rounds' cut of ``pixels``; where the free pixels reach the image's edges
    and ``strip`` > 0, also the cut that starts with the strip along them as
    background (see EDGE_STRIP), and the one of higher confidence is returned."""
    grid = _Grid(pixels, model)
    free = ~(fg_hard | bg_hard)
    prior = None
    if model.prior_edges:
        # Loaded when a no-box cut needs it: SLIC and SciPy's graphs would cost every command's start.
        from .saliency import subject_prior
        prior = subject_prior(pixels, model.prior_edges)
    mask = _rounds(grid, ~bg_hard, free, model, max_rounds, prior)
    along_edges = _edge_strip(free, strip)
    if not along_edges.any():
        return mask
    other = _rounds(grid, ~bg_hard & ~along_edges, free, model, max_rounds)
    # The strip speaks for what reaches it: parts of the first cut it dropped away from
    # the edges (a collar in the middle of a portrait) stay.
    dropped, _ = label_parts(mask & ~other)
    reached = np.unique(dropped[along_edges])
    other = other | ((dropped > 0) & ~np.isin(dropped, reached[reached > 0]))
    if np.array_equal(other, mask):
        return mask
    # Judged at this scale: for a large photo, the coarse cut (tens of milliseconds each).
    confidences = [confidence_of(pixels, cut, model.space, model.rng, model.n_threads) for cut in (mask, other)]
    return other if confidences[1] >= confidences[0] else mask


def _edge_strip(region, depth):
    """The pixels of ``region`` (M, N) bool within ``depth`` of its extent from each
    image edge it reaches (along the bottom edge, ``depth`` of its height deep)."""
    strip = np.zeros(region.shape, dtype=bool)
    bounds = _bounding_box(region)
    if depth <= 0 or bounds is None:
        return strip
    top, bottom, left, right = bounds
    deep_rows, deep_cols = max(1, round(depth * (bottom - top))), max(1, round(depth * (right - left)))
    n_rows, n_cols = region.shape
    for reaches, part in ((top == 0, np.s_[:deep_rows]), (bottom == n_rows, np.s_[-deep_rows:]),
                          (left == 0, np.s_[:, :deep_cols]), (right == n_cols, np.s_[:, -deep_cols:])):
        if reaches:
            strip[part] = True
    return strip & region


def _rounds(grid, mask, free, model, max_rounds, prior=None):
    """Cut the ``free`` pixels round after round from the first labels ``mask``,
    the color models refitted to each cut, until it settles; with a ``prior``
    (the grid's subject prior), then once more without it (see PRIOR_WEIGHT)."""
    for _ in range(max_rounds):
        new = _round(grid, mask, free, model, prior)
        changed = int((new != mask).sum())
        mask = new
        if changed <= CONVERGED_FRACTION * free.sum() or not mask.any():
            break
    return mask if prior is None else _round(grid, mask, free, model)


def _round(grid, mask, free, model, prior=None):
    """Fit both color models to ``mask`` and cut the ``free`` pixels once, with
    the ``prior``'s log odds added to the costs if given."""
    if not mask.any() or mask.all() or not free.any():
        return mask
    colors_free = grid.inverse[free.ravel()]
    # The costs of the colors the free pixels have, not of every color: a band of an
    # 18 MP photo has a fraction of its colors. (Each color's cost is computed alone,
    # so they are the same numbers.)
    needed = np.zeros(len(grid.counts), dtype=bool)
    needed[colors_free] = True
    position = np.cumsum(needed) - 1
    inside = grid.color_weights(mask)
    outside = grid.counts - inside  # the rest of each color's pixels: one pass over the image, not two
    costs = []
    for weights, n_codewords in ((inside, model.n_fg), (outside, model.n_bg)):
        mixture = fit_mixture(grid.features, weights, n_codewords, model.rng, model.n_threads)
        costs.append(mixture.negative_log_likelihood(grid.features[needed], model.n_threads)[position[colors_free]])
    if prior is not None:
        subject = prior[free]
        costs[0] = costs[0] - PRIOR_WEIGHT * np.log(subject)
        costs[1] = costs[1] - PRIOR_WEIGHT * np.log1p(-subject)
    return graphcut.cut(costs[0], costs[1], free, mask, grid.weights)


def _downscale(pixels, factor, n_threads):
    """Block means of (factor x factor) pixels, rounded to even; a block cut by the
    image's edge sums what it holds over the whole block's area, as scikit-image's
    downscale_local_mean (zero padding). Integer sums are exact, so this is its
    result, in 0.03 s instead of 0.2-0.5 s on the 18 MP astronaut (a float copy per
    channel there)."""
    return np.rint(_block_sums(pixels, factor, n_threads) / float(factor * factor)).astype(np.uint8)


def _shrink(mask, factor, any_pixel, n_threads):
    """Downscale a bool mask: a block is set if any (or at least half of the block's
    area) of its pixels are."""
    counts = _block_sums(np.ascontiguousarray(mask).view(np.uint8)[:, :, None], factor, n_threads)[:, :, 0]
    return counts > 0 if any_pixel else 2 * counts >= factor * factor


def _block_sums(values, factor, n_threads):
    """Sums of (M, N, C) uint8 ``values`` over blocks of factor x factor, those at the
    far edges cut short: (ceil(M / factor), ceil(N / factor), C) int64."""
    sums = np.zeros((-(-values.shape[0] // factor), -(-values.shape[1] // factor), values.shape[2]), dtype=np.int64)
    kernels.contrast.block_sums(np.ascontiguousarray(values), factor, sums, threads_for(values.size, n_threads))
    return sums


def clean_mask(mask, *, min_size=0.001, max_hole=0.01, keep="all"):
    """Drop specks below ``min_size`` of the image, fill holes below ``max_hole``
    of the foreground, and keep every component or only the largest."""
    if not mask.any():
        return mask
    components, sizes = label_parts(mask, connectivity=2)
    kept = sizes >= min_size * mask.size
    if keep == "largest" or not kept.any():
        kept = sizes == sizes.max()
    kept[0] = False  # the background, whatever min_size
    if not kept[1:].all():  # (a gather over every pixel, for nothing when all are kept)
        mask = kept[components]
    holes, hole_sizes = label_parts(~mask, connectivity=1)
    border = np.unique(np.concatenate([holes[0], holes[-1], holes[:, 0], holes[:, -1]]))
    small = hole_sizes < max_hole * mask.sum()
    small[border] = False  # regions touching the image edge are background, not holes
    small[0] = False
    return mask | small[holes] if small.any() else mask
