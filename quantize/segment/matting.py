"""Soft edges for a cutout: a fractional alpha in a band around the cut, and the
subject's own colors there, so hair and blur do not come out jagged with a rim of the
old background.

- Alpha: the guided filter (He, Sun and Tang 2010) of the hard mask, guided by the
  image's lightness: within each window alpha is a linear function of the guide, so
  it follows the image's edges; outside a band of ``radius`` pixels either side of
  the cut the hard mask stays.
- Colors: in the band, each pixel is unmixed against the background it was blended
  with, estimated as the mean of the nearby pure-background pixels (I = aF + (1-a)B,
  so F = B + (I - B) / a); where alpha is small, that estimate is unstable and the
  mean of the nearby pure-foreground pixels is taken instead.
"""
import numpy as np

from ..errors import InputError
from ..features import colors_to_features
from ..io import load_image
from .foreground import boundary_band, surroundings

# Band half-width and filter window, as a share of the diagonal of the subject's
# surroundings (at least MIN_RADIUS pixels): about 3 px on a 0.3 MP photo the subject
# fills, 25 px at 18 MP. On the composites of bench/matting.py with the true cut,
# 0.003-0.005 did best (0.008 and 0.012 left more alpha error). Measured against the
# whole image, a small subject on a large photo got a band as wide as itself.
RADIUS_SHARE = 0.004
MIN_RADIUS = 2
# The guided filter's regularization on lightness in 0..1: larger smooths more and
# follows the image less. The benchmark's true alpha is a blurred mask, which favours
# blur (0.1 scored best there); 0.01 keeps the edge guided, for hair and fur.
EPSILON = 1e-2
# Below this alpha, unmixing divides by too little: the local foreground mean serves.
UNMIX_FLOOR = 0.25


def _ndimage():
    """scipy.ndimage, loaded on first use: at import it would cost every command 60 ms."""
    from scipy import ndimage

    return ndimage


def band_radius(mask):
    """The band's half-width for a subject ``mask`` (M, N) bool: RADIUS_SHARE of the
    diagonal of its bounding box grown by its size on every side, within the image
    (the image's own diagonal for a subject that spans a third of it or more)."""
    rows, cols = surroundings(mask)
    return max(MIN_RADIUS, round(RADIUS_SHARE * float(np.hypot(rows.stop - rows.start, cols.stop - cols.start))))


def soft_alpha(pixels, mask, radius=None):
    """Alpha (M, N) float32 in [0, 1]: the hard ``mask`` inside and outside a band of
    ``radius`` pixels around its edge, the guided filter of it in the band."""
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != pixels.shape[:2]:
        raise InputError(f"mask must have the image's shape {pixels.shape[:2]}, got {mask.shape}")
    radius = band_radius(mask) if radius is None else int(radius)
    alpha = mask.astype(np.float32)
    if not mask.any() or mask.all():
        return alpha
    band = boundary_band(mask, radius)
    for outer, inner in _tiles(band, 2 * radius):  # the filter of a filter: 2 radius around a pixel
        hard = mask[outer].astype(np.float32)  # not alpha: the tiles before this one changed it
        guide = colors_to_features(pixels[outer][:, :, :3].reshape(-1, 3), "oklab", np.float32)[:, 0]
        filtered = guided_filter(guide.reshape(hard.shape), hard, 2 * radius + 1, EPSILON)
        inside = band[outer][inner]
        alpha[outer][inner][inside] = np.clip(filtered[inner][inside], 0.0, 1.0)
    return alpha


def guided_filter(guide, source, window, epsilon):
    """He et al.'s guided filter of ``source`` by a one-channel ``guide`` (both
    (M, N) float32), with a square ``window`` of odd size."""
    ndimage = _ndimage()

    def mean(values):
        return ndimage.uniform_filter(values, size=window, mode="reflect")

    mean_guide, mean_source = mean(guide), mean(source)
    covariance = mean(guide * source) - mean_guide * mean_source
    variance = mean(guide * guide) - mean_guide * mean_guide
    slope = covariance / (variance + epsilon)
    offset = mean_source - slope * mean_guide
    return mean(slope) * guide + mean(offset)


def foreground_colors(pixels, alpha, radius=None):
    """The subject's colors (M, N, 3) uint8: the image where alpha is 0 or 1, and in
    between, each pixel unmixed from the local background (see the module)."""
    rgb = pixels[:, :, :3]
    partial = (alpha > 0) & (alpha < 1)
    if not partial.any():
        return rgb.copy()
    radius = band_radius(alpha >= 0.5) if radius is None else int(radius)
    out = rgb.copy()
    # Where a window holds no pure pixel, the image's mean of them: one value for every
    # tile, or the tiles' seams would show; computed only when needed.
    fallbacks = {}

    def fallback(level):
        if level not in fallbacks:
            fallbacks[level] = _mean_color(rgb, alpha == level)
        return fallbacks[level]
    for outer, inner in _tiles(partial, 2 * radius):
        crop, a = rgb[outer], alpha[outer]
        core = np.zeros(a.shape, dtype=bool)
        core[inner] = partial[outer][inner]
        # Only the band's pixels need their local means: box sums read off summed-area
        # tables (a filter of every channel of the band's bounds took 5.3 s at 18 MP).
        here = np.nonzero(core)
        background = _local_mean(crop, a == 0, here, 2 * radius, lambda: fallback(0))
        foreground = _local_mean(crop, a == 1, here, 2 * radius, lambda: fallback(1))
        a = a[here][:, None]
        unmixed = background + (crop[here].astype(np.float32) - background) / np.maximum(a, UNMIX_FLOOR)
        estimate = np.where(a >= UNMIX_FLOOR, unmixed, foreground)
        out[outer][here] = np.clip(np.rint(estimate), 0, 255).astype(np.uint8)
    return out


def _mean_color(values, where):
    """The mean (3,) of ``values`` (M, N, 3) uint8 over the pixels ``where``, or over
    all: integer sums in place (gathering the pixels first took 0.9 s at 18 MP)."""
    if not where.any():
        where = np.ones(where.shape, dtype=bool)
    sums = [np.sum(values[:, :, c], where=where, dtype=np.int64) for c in range(3)]
    return np.array(sums, dtype=np.float64) / np.count_nonzero(where)


def _local_mean(values, where, at, half, fallback):
    """The mean of ``values`` (M, N, 3) over the pixels ``where`` in the window of
    ``2 half + 1`` pixels around each pixel ``at`` (row and column index arrays),
    clipped to the array: (len, 3) float32; ``fallback()`` where a window holds none."""
    count = _box_sums(where, at, half)
    sums = np.stack([_box_sums(np.where(where, values[:, :, c], 0), at, half) for c in range(3)], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / count[:, None]
    empty = count == 0
    if empty.any():
        means[empty] = fallback()
    return means.astype(np.float32)


def _box_sums(values, at, half):
    """The sums of ``values`` (M, N) over the windows of ``2 half + 1`` pixels
    around the pixels ``at``, clipped to the array, from a summed-area table
    (float64: exact for 8-bit values at any photo size)."""
    n_rows, n_cols = values.shape
    table = np.zeros((n_rows + 1, n_cols + 1))
    np.cumsum(values, axis=0, dtype=np.float64, out=table[1:, 1:])
    np.cumsum(table[1:, 1:], axis=1, out=table[1:, 1:])
    rows, cols = at
    top, bottom = np.maximum(rows - half, 0), np.minimum(rows + half + 1, n_rows)
    left, right = np.maximum(cols - half, 0), np.minimum(cols + half + 1, n_cols)
    return table[bottom, right] - table[top, right] - table[bottom, left] + table[top, left]


# Matting works tile by tile, on the tiles the band crosses, each with the margin its
# filters read: the band is a thin share of a large subject's bounds.
TILE = 128


def _tiles(region, margin):
    """For each TILE x TILE tile of the image holding a pixel of ``region`` (M, N)
    bool: (outer, inner) slice pairs, the tile grown by ``margin`` within the image
    and the tile itself within that."""
    n_rows, n_cols = region.shape
    t_rows, t_cols = -(-n_rows // TILE), -(-n_cols // TILE)
    padded = np.zeros((t_rows * TILE, t_cols * TILE), dtype=bool)
    padded[:n_rows, :n_cols] = region
    busy = padded.reshape(t_rows, TILE, t_cols, TILE).any(axis=(1, 3))
    for tile_row, tile_col in zip(*np.nonzero(busy)):
        top, left = int(tile_row) * TILE, int(tile_col) * TILE
        bottom, right = min(top + TILE, n_rows), min(left + TILE, n_cols)
        outer_top, outer_left = max(top - margin, 0), max(left - margin, 0)
        outer = (slice(outer_top, min(bottom + margin, n_rows)), slice(outer_left, min(right + margin, n_cols)))
        yield outer, (slice(top - outer_top, bottom - outer_top), slice(left - outer_left, right - outer_left))


def matte_edges(image, mask, *, radius=None):
    """Soft edges for a foreground ``mask`` (M, N) bool of ``image``: (alpha (M, N)
    float32 in [0, 1], the subject's colors (M, N, 3) uint8); see the module.

    Examples
    --------
    >>> import numpy as np, quantize
    >>> image = np.zeros((40, 40, 3), np.uint8); image[10:30, 10:30] = 200
    >>> mask = np.zeros((40, 40), bool); mask[10:30, 10:30] = True
    >>> alpha, colors = quantize.matte_edges(image, mask)
    >>> alpha.dtype, colors.shape, bool(alpha[20, 20] == 1 and alpha[0, 0] == 0)
    (dtype('float32'), (40, 40, 3), True)
    """
    pixels = load_image(image).pixels
    radius = band_radius(np.asarray(mask, dtype=bool)) if radius is None else radius
    alpha = soft_alpha(pixels, mask, radius)
    return alpha, foreground_colors(pixels, alpha, radius)
