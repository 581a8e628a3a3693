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
    rows, cols = _bounds(band, radius)
    guide = colors_to_features(pixels[rows, cols, :3].reshape(-1, 3), "oklab", np.float32)[:, 0]
    guide = guide.reshape(pixels[rows, cols].shape[:2])
    filtered = guided_filter(guide, alpha[rows, cols], 2 * radius + 1, EPSILON)
    inside = band[rows, cols]
    alpha[rows, cols][inside] = np.clip(filtered[inside], 0.0, 1.0)
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
    rows, cols = _bounds(partial, 2 * radius)
    window = 4 * radius + 1
    crop = rgb[rows, cols].astype(np.float32)
    a = alpha[rows, cols]
    background = _local_mean(crop, a == 0, window)
    foreground = _local_mean(crop, a == 1, window)
    safe = np.maximum(a, UNMIX_FLOOR)[:, :, None]
    unmixed = background + (crop - background) / safe
    estimate = np.where((a >= UNMIX_FLOOR)[:, :, None], unmixed, foreground)
    out = rgb.copy()
    region = out[rows, cols]
    here = partial[rows, cols]
    region[here] = np.clip(np.rint(estimate[here]), 0, 255).astype(np.uint8)
    return out


def _local_mean(values, where, window):
    """The mean of ``values`` (M, N, 3) over the pixels ``where`` in each window; the
    overall mean of those pixels where a window holds none."""
    ndimage = _ndimage()

    weight = ndimage.uniform_filter(where.astype(np.float32), size=window, mode="nearest")
    sums = np.stack([ndimage.uniform_filter(values[:, :, c] * where, size=window, mode="nearest")
                     for c in range(3)], axis=2)
    fallback = values[where].mean(axis=0) if where.any() else values.reshape(-1, 3).mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / weight[:, :, None]
    return np.where(weight[:, :, None] > 1e-6, means, fallback)


def _bounds(region, margin):
    """Row and column slices around ``region``, grown by ``margin`` (clipped)."""
    rows, cols = np.nonzero(region)
    top, left = max(0, rows.min() - margin), max(0, cols.min() - margin)
    bottom = min(region.shape[0], rows.max() + margin + 1)
    right = min(region.shape[1], cols.max() + margin + 1)
    return slice(top, bottom), slice(left, right)


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
