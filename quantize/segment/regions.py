"""Region labels: k-means over color plus scaled pixel coordinates.

Each pixel becomes (color features, row, col); the coordinates are scaled so
that ``spatial_weight=1`` makes crossing the whole image cost as much as going
from black to white. Small weights give color regions scattered over the image,
large ones compact, superpixel-like regions. Above MINIBATCH_PIXELS pixels the
fit is mini-batch k-means, then every pixel is assigned to its nearest center.
"""
import numpy as np
import skimage  # submodules load on first use (scikit-image's lazy loader)

from .._parallel import resolve_n_threads
from .._validation import check_n_clusters, check_random_state
from ..engine.lloyd import KMeans
from ..engine.minibatch import MiniBatchKMeans
from ..errors import InputError
from ..features import LIGHTNESS_RANGE, check_space, colors_to_features
from ..io import load_image

MINIBATCH_PIXELS = 1 << 20  # above about 1 MP, exact Lloyd over every pixel is slow


def pixel_features(pixels, space, spatial_weight):
    """(M * N, 5) float32 features: the color in ``space`` and the scaled (row, col)."""
    rows, cols = pixels.shape[:2]
    colors = colors_to_features(pixels[:, :, :3].reshape(-1, 3), space)
    scale = spatial_weight * LIGHTNESS_RANGE[space] / max(rows, cols)
    grid_rows, grid_cols = np.mgrid[:rows, :cols]
    coords = np.stack([grid_rows.ravel(), grid_cols.ravel()], axis=1) * scale
    return np.hstack([colors, coords]).astype(np.float32)


def segment_regions(image, n_regions, *, spatial_weight=1.0, space="lab", random_state=None,
                    n_threads=None, max_pixels=None):
    """Label map of ``n_regions`` k-means regions over color and position.

    Parameters
    ----------
    image : path, PIL image or ndarray (M, N[, C])
    n_regions : int
    spatial_weight : float >= 0
        0 clusters colors only; larger values make regions more compact.
    space : {"lab", "oklab", "rgb"}

    Returns
    -------
    labels : ndarray (M, N) int32, values in [0, n_regions)

    Examples
    --------
    >>> import numpy as np, quantize
    >>> image = np.zeros((20, 40, 3), np.uint8); image[:, 20:] = 255
    >>> labels = quantize.segment_regions(image, 2, random_state=0)
    >>> len(np.unique(labels[:, :20])), len(np.unique(labels[:, 20:])), labels[0, 0] != labels[0, -1]
    (1, 1, np.True_)
    """
    pixels = load_image(image, max_pixels=max_pixels).pixels
    n_regions = check_n_clusters(n_regions)
    check_space(space)
    if not spatial_weight >= 0:
        raise InputError(f"spatial_weight must be >= 0, got {spatial_weight!r}")
    X = pixel_features(pixels, space, float(spatial_weight))
    if n_regions > len(X):
        raise InputError(f"{n_regions} regions asked for an image of {len(X)} pixels")
    rng = check_random_state(random_state)
    n_threads = resolve_n_threads(n_threads)
    if len(X) > MINIBATCH_PIXELS:
        model = MiniBatchKMeans(n_regions, random_state=rng, n_threads=n_threads).fit(X)
        labels = model.predict(X)
    else:
        labels = KMeans(n_regions, random_state=rng, n_threads=n_threads).fit(X).labels_
    return labels.reshape(pixels.shape[:2]).astype(np.int32)


def region_overlay(pixels, labels):
    """Each region painted in its mean color, with region boundaries marked in yellow: (M, N, 3) uint8."""
    rgb = pixels[:, :, :3]
    averaged = skimage.color.label2rgb(labels, rgb, kind="avg", bg_label=-1)
    marked = skimage.segmentation.mark_boundaries(averaged.astype(np.uint8), labels, color=(1, 1, 0))
    return np.rint(marked * 255).astype(np.uint8)
