"""Every pixel to a palette entry: nearest color or Floyd-Steinberg dithering, the
palette ranked by use and the error measured."""
import math

import numpy as np

from .. import kernels
from .._parallel import threads_for
from ..engine.lloyd import nearest_labels
from ..engine.nearest import CenterGeometry, assign_labels
from ..errors import InputError
from .result import CompressedImage

# Share of each pixel's error that dithering passes on. Full diffusion (1.0)
# scatters specks; on the sample photos in OKLab, 0.8 scored highest with
# SSIMULACRA2 at k = 64 and 256 (within 0.2 of the best at 16) and beat 1.0 with
# butteraugli at every k (bench/compress.py).
DITHER_STRENGTH = 0.8


def dither_strength(dither):
    """The error-diffusion strength of a ``dither`` argument: 0 for none."""
    if dither is True:
        return DITHER_STRENGTH
    if dither is False or dither is None:
        return 0.0
    if not isinstance(dither, (int, float, np.number)) or not 0 <= dither <= 1:
        raise InputError(f"dither must be True, False or a strength from 0 to 1, got {dither!r}")
    return float(dither)


def remap(pixels, histogram, features, book, strength, n_threads, icc_profile, fit=None):
    """Map every pixel to the codebook; sort the palette by use; measure the error.
    ``features`` are the histogram's colors in the codebook's space; ``fit``, if
    given, the LloydResult of those colors whose centers, rounded, are the
    codebook's: its geometry is repaired (a fresh one sorts every row: 2 ms at
    k = 256) and its bounds spare most colors a search."""
    centers = book.centers
    if fit is None:
        geometry = CenterGeometry.of(centers, n_threads)
        color_labels = assign_labels(features, centers, n_threads, geometry=geometry)[0]
    else:  # the labelling brings the fit's geometry up to date for the palette
        geometry = fit.geometry
        color_labels = nearest_labels(features, fit.bounds, centers, geometry, n_threads)
    if histogram.colors.shape[1] == 4:
        invisible = np.flatnonzero((book.palette[:, 3] == 0))
        if invisible.size:
            color_labels[histogram.colors[:, 3] == 0] = invisible[0]
    # Palette entries ranked by use, counted on the histogram rather than per pixel.
    dither = strength > 0
    if dither:
        labels = _dither(histogram, features, book, centers, geometry, pixels.shape, strength, n_threads)
        counts = np.bincount(labels.ravel(), minlength=len(book.palette))
    else:
        counts = np.bincount(color_labels, weights=histogram.counts, minlength=len(book.palette))
    order = np.argsort(-counts, kind="stable")
    rank = np.empty(len(order), dtype=np.uint8 if len(order) <= 256 else np.uint16)
    rank[order] = np.arange(len(order))
    palette = book.palette[order]
    if dither:
        labels = rank[labels]
        mse = _pixel_mse(pixels, palette, labels)
    else:
        labels = np.empty(len(histogram.inverse), dtype=rank.dtype)
        kernels.histogram.expand_to_pixels(histogram.inverse, rank[color_labels], labels,
                                           threads_for(len(labels), n_threads))
        labels = labels.reshape(pixels.shape[:2])
        # Integer errors, channel plane by plane: exact sums, and no loops over rows of three.
        diff = (book.palette[color_labels].astype(np.int32) - histogram.colors).T
        squared = sum(channel * channel for channel in diff)
        weights = _visible(histogram.colors) * histogram.counts
        n_visible = weights.sum()
        mse = float(weights @ squared) / (COLOR_CHANNELS * n_visible) if n_visible else 0.0
    psnr = math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)
    return CompressedImage(palette, labels, counts[order].astype(np.int64), mse, psnr, book.space, icc_profile)


# MSE is per color channel: an RGBA image's alpha error adds to the sum but is not
# a channel of its own, so an opaque RGBA image scores as its RGB twin.
COLOR_CHANNELS = 3


def _visible(colors):
    """1 for each color a viewer can see, 0 for fully transparent ones: the error
    of an invisible pixel's color is no error at all."""
    if colors.shape[-1] == 4:
        return (colors[..., 3] > 0).astype(np.float64)
    return np.ones(colors.shape[:-1])


def _pixel_mse(pixels, palette, labels, block_rows=256):
    """Mean squared error of palette[labels] against the visible pixels, a block
    of rows at a time (a float64 copy of an 18 MP image would take 430 MB)."""
    total = n_visible = 0.0
    for start in range(0, len(pixels), block_rows):
        block = pixels[start:start + block_rows]
        visible = _visible(block)
        diff = palette[labels[start:start + block_rows]].astype(np.float64) - block
        total += float(np.sum(visible[..., None] * diff * diff))
        n_visible += float(visible.sum())
    return total / (COLOR_CHANNELS * n_visible) if n_visible else 0.0


def _dither(histogram, features, book, centers, geometry, shape, strength, n_threads):
    """Floyd-Steinberg labels (M, N) against ``centers``, the codebook's entries in
    its space. Fully transparent pixels take the transparent entry and pass no
    error on: the colors under them are invisible."""
    image = np.ascontiguousarray(features[histogram.inverse].reshape(shape[0], shape[1], -1))
    labels = np.full(shape[:2], -1, dtype=np.int32)  # -1: to be dithered
    invisible = np.flatnonzero(book.palette[:, 3] == 0) if book.palette.shape[1] == 4 else []
    if len(invisible) and histogram.colors.shape[1] == 4:
        transparent = (histogram.colors[:, 3] == 0)[histogram.inverse].reshape(shape[:2])
        labels[transparent] = invisible[0]
    # One strength everywhere: lowering it on edges and texture (libimagequant's
    # dither map, from the local contrast of lightness) scored lower with
    # SSIMULACRA2 than a plain 0.8, at k = 16, 64 and 256.
    kernels.nearest.dither_floyd_steinberg(image, centers, geometry.order, geometry.cc_sorted,
                                           centers.min(axis=0), centers.max(axis=0), strength, labels)
    return labels
