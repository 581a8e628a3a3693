"""Compress a photo to N colors: the palette, the indexed image and its error.

The pipeline, after libimagequant's: a histogram of unique colors (counts as
weights) -> colors to the feature space -> weighted k-means, coarse to fine
(k-means++ and restarts on 5-bit bins, then a few iterations on every unique color)
-> palette rounded to 8 bits -> nearest-color remap (or Floyd-Steinberg dither).
"""
import math
import warnings

import numpy as np

from .._parallel import resolve_n_threads
from ..errors import FewDistinctPointsWarning, InputError, QualityNotReachedWarning
from ..features import check_space
from ..io import load_image
from .fit import MAX_COLORS, check_n_colors, fitted_codebook
from .remap import dither_strength, remap
from .result import CompressedImage


def compress_image(image, n_colors, *, space="oklab", dither=False, random_state=None,
                   palette=None, locked_colors=None, alpha_threshold=8, weigh_smoothness=None,
                   n_threads=None, max_pixels=None):
    """Reduce an image to at most ``n_colors`` colors.

    Parameters
    ----------
    image : path, PIL.Image or ndarray (M, N[, 3|4])
    n_colors : int, 1..256
        Exactly this many colors when the image has at least as many (else all of
        its colors, with a :class:`FewDistinctPointsWarning`).
    space : {"oklab", "lab", "rgb"}
        Where colors are compared and errors diffused. "oklab" (the default)
        scored highest with SSIMULACRA2 and butteraugli; "lab" (CIELAB) minimizes
        mean CIEDE2000 but bands and shifts hue in gradients; "rgb" minimizes the
        RGB error (PSNR). See the README's benchmark.
    dither : bool or float in [0, 1]
        Floyd-Steinberg error diffusion instead of nearest-color mapping, with
        this strength (the share of each pixel's error passed on; True means
        ``DITHER_STRENGTH``, False or 0 none).
    random_state : None, int or numpy.random.Generator
    palette : array_like (n, 3|4) uint8, optional
        Remap to this fixed palette instead of learning one (``n_colors`` ignored).
    locked_colors : array_like (m, 3|4) uint8, optional
        Colors that must be in the palette; the other ``n_colors - m`` are learned.
    alpha_threshold : int
        Pixels with alpha below this do not pull the palette; fully transparent
        pixels share one palette entry.
    weigh_smoothness : bool, optional
        Fit the palette with each pixel weighed by how smooth its surroundings
        are (banding shows in a gradient, an error in grass does not), as
        libimagequant does. Default: on, but for ``space="rgb"``, which then
        minimizes the RGB error exactly.
    n_threads : int, optional
    max_pixels : int, optional
        Raise (or lower) Pillow's decompression-bomb limit for a file.

    Returns
    -------
    CompressedImage

    Examples
    --------
    >>> import numpy as np, quantize
    >>> rng = np.random.default_rng(0)
    >>> image = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    >>> result = quantize.compress_image(image, 16, random_state=0)
    >>> result.palette.shape, result.labels.shape, result.to_pil().mode
    ((16, 3), (64, 64), 'P')
    """
    loaded = load_image(image, max_pixels=max_pixels)
    check_space(space)
    strength = dither_strength(dither)
    n_threads = resolve_n_threads(n_threads)
    pixels, histogram, features, book, fit = fitted_codebook(
        loaded.pixels, n_colors, space, random_state, palette, locked_colors, alpha_threshold, weigh_smoothness,
        n_threads)
    return remap(pixels, histogram, features, book, strength, n_threads, loaded.icc_profile, fit)


def compress_to_quality(image, target_psnr, *, max_colors=MAX_COLORS, **options):
    """The result with the fewest colors (at most ``max_colors``) whose PSNR reaches
    ``target_psnr``, found by bisection; if none does, the ``max_colors`` result
    with a :class:`QualityNotReachedWarning`. The returned PSNR says what was reached."""
    loaded = load_image(image, max_pixels=options.pop("max_pixels", None))
    pixels = loaded.pixels

    def attempt(n):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewDistinctPointsWarning)
            return compress_image(pixels, n, **options)

    if not isinstance(target_psnr, (int, float, np.number)) or not 0 < target_psnr < math.inf:
        raise InputError(f"target_psnr must be a finite number of dB > 0, got {target_psnr!r}")
    best = attempt(check_n_colors(max_colors))
    if best.psnr < target_psnr:
        warnings.warn(f"{len(best.palette)} colors reach {best.psnr:.1f} dB, short of the {target_psnr:g} dB "
                      f"asked; raise the color limit (--max-colors) or lower the target",
                      QualityNotReachedWarning, stacklevel=2)
        return with_profile(best, loaded.icc_profile)
    low, high = 1, len(best.palette)  # the answer is in (low - 1, high]
    while low < high:
        middle = (low + high) // 2
        result = attempt(middle)
        if result.psnr >= target_psnr:
            best, high = result, middle
        else:
            low = middle + 1
    return with_profile(best, loaded.icc_profile)


def with_profile(result, icc_profile):
    return CompressedImage(result.palette, result.labels, result.counts, result.mse, result.psnr,
                           result.space, icc_profile)
