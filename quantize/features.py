"""Color feature spaces: 8-bit sRGB colors to the space k-means runs in, and back.

- ``rgb``: sRGB values 0-255 as they are (what PSNR measures).
- ``lab``: CIELAB (D65), through scikit-image; Euclidean distance is ΔE76.
- ``oklab``: Björn Ottosson's OKLab, more uniform in hue than CIELAB; scikit-image
  has no OKLab, so its two 3x3 matrices and a cube root are here.

An alpha channel becomes a fourth feature, scaled to the range of lightness in the
space, so an opaque and a transparent pixel are as far apart as black and white.
"""
import numpy as np
from skimage import color
from skimage.color.colorconv import xyz_from_rgb

from .errors import InputError

SPACES = ("rgb", "lab", "oklab")
# Lightness range of each space: the scale of the alpha feature.
LIGHTNESS_RANGE = {"rgb": 255.0, "lab": 100.0, "oklab": 1.0}

_LINEAR_TO_LMS = np.array([
    [0.4122214708, 0.5363325363, 0.0514459929],
    [0.2119034982, 0.6806995451, 0.1073969566],
    [0.0883024619, 0.2817188376, 0.6299787005],
])
_LMS_TO_OKLAB = np.array([
    [0.2104542553, 0.7936177850, -0.0040720468],
    [1.9779984951, -2.4285922050, 0.4505937099],
    [0.0259040371, 0.7827717662, -0.8086757660],
])


def check_space(space):
    if space not in SPACES:
        raise InputError(f"space must be one of {', '.join(SPACES)}; got {space!r}")
    return space


def _srgb_to_linear(c):
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(c):
    c = np.clip(c, 0.0, 1.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def _transform(planes, matrix):
    """``matrix @ planes`` for channel planes (3, n), written out plane by plane as
    (m[j, 0] x0 + m[j, 1] x1) + m[j, 2] x2: no BLAS, so no thread count can change
    a result, and whole planes at a time (on rows of three, NumPy's loops ran 3
    elements long and took 5 ms of a 0.26 MP photo's 33 ms)."""
    matrix = matrix.astype(planes.dtype)
    out = np.empty_like(planes)
    for j in range(3):
        np.multiply(planes[0], matrix[j, 0], out=out[j])
        out[j] += planes[1] * matrix[j, 1]
        out[j] += planes[2] * matrix[j, 2]
    return out


# Linear light of each 8-bit sRGB level: a table lookup instead of a power per
# channel of every color (the power was a third of compressing a 0.15 MP photo).
_LINEAR_LEVELS = _srgb_to_linear(np.arange(256) / 255.0)


def colors_to_features(colors, space, dtype=np.float64):
    """(n, 3|4) uint8 colors to (n, 3|4) features of ``dtype``. The k-means
    kernels take float32, and converting in float32 takes half the time."""
    if space == "rgb":
        out = colors[:, :3].astype(dtype)
    else:
        linear = _LINEAR_LEVELS.astype(dtype)[colors[:, :3].T]  # channel planes (3, n)
        if space == "lab":  # scikit-image's sRGB -> XYZ matrix and XYZ -> CIELAB
            out = color.xyz2lab(_transform(linear, xyz_from_rgb).T[None])[0]
        else:
            out = np.ascontiguousarray(_transform(np.cbrt(_transform(linear, _LINEAR_TO_LMS)), _LMS_TO_OKLAB).T)
    if colors.shape[1] == 4:
        alpha = colors[:, 3:].astype(dtype) * dtype(LIGHTNESS_RANGE[space] / 255.0)
        out = np.hstack([out, alpha])
    return out.astype(dtype, copy=False)


def features_to_colors(features, space):
    """(n, 3|4) features to the nearest (n, 3|4) uint8 colors, clipped to the gamut."""
    features = np.asarray(features, dtype=np.float64)
    base = features[:, :3]
    if space == "rgb":
        rgb = base
    elif space == "lab":
        rgb = color.lab2rgb(base[None])[0] * 255.0
    else:
        lms = _transform(base.T, np.linalg.inv(_LMS_TO_OKLAB))
        rgb = _linear_to_srgb(_transform(lms ** 3, np.linalg.inv(_LINEAR_TO_LMS)).T) * 255.0
    out = [rgb]
    if features.shape[1] == 4:
        out.append(features[:, 3:] * (255.0 / LIGHTNESS_RANGE[space]))
    return np.rint(np.clip(np.hstack(out), 0, 255)).astype(np.uint8)
