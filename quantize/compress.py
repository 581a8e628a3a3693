"""Compress a photo to N colors: the palette, the indexed image and its error.

The pipeline, after libimagequant's: a histogram of unique colors (counts as
weights) -> colors to the feature space -> weighted k-means, coarse to fine
(k-means++ and restarts on 5-bit bins, then a few iterations on every unique color)
-> palette rounded to 8 bits -> nearest-color remap (or Floyd-Steinberg dither).
"""
import io
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from . import _kernels
from ._parallel import resolve_n_threads
from ._validation import check_random_state
from .codebook import Codebook
from .errors import (FewDistinctPointsWarning, InputError, QualityNotReachedWarning, TransparencyWarning,
                     UsageError)
from .features import check_space, colors_to_features
from .histogram import ColorHistogram, bin_colors, color_histogram
from .io import load_image
from .lloyd import _Geometry, lloyd, weighted_tolerance
from .seeding import _kmeans_plusplus

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
# Share of each pixel's error that dithering passes on. Full diffusion (1.0)
# scatters specks; on the sample photos in OKLab, 0.8 scored highest with
# SSIMULACRA2 at k = 64 and 256 (within 0.2 of the best at 16) and beat 1.0 with
# butteraugli at every k (bench/compress.py).
DITHER_STRENGTH = 0.8
# Where the colors go: pixels weigh by the smoothness around them, so the palette
# spends its colors where banding would show. A pixel whose 3x3 lightness range is
# SMOOTH_SCALE (OKLab L, 0-1) weighs half of a flat one, plus TEXTURE_FLOOR so that
# texture still counts. On the sample photos in OKLab, scale 0.05 raised SSIMULACRA2
# by 4.5 / 3.4 / 0.7 at k = 16 / 64 / 256 and lowered butteraugli at each k (0.02
# scored higher on SSIMULACRA2 at 64 and 256 but worse on butteraugli at 16).
SMOOTH_SCALE = 0.05
TEXTURE_FLOOR = 0.25


@dataclass(frozen=True)
class CompressedImage:
    """An image reduced to a palette.

    palette : ndarray (n_colors, 3) or (n_colors, 4) uint8, most used first
    labels : ndarray (M, N) uint8 palette indices
    counts : ndarray (n_colors,) pixels per palette entry
    mse, psnr : float
        Mean squared error per color channel (0-255 scale) against the input over
        its visible pixels (an alpha error adds to it), and the matching PSNR in
        dB (inf when exact).
    space : str
        Feature space the palette was fitted in.
    icc_profile : bytes or None
    """
    palette: np.ndarray
    labels: np.ndarray
    counts: np.ndarray
    mse: float
    psnr: float
    space: str
    icc_profile: bytes | None = field(default=None, repr=False)

    @property
    def proportions(self):
        return self.counts / self.counts.sum()

    @property
    def codebook(self):
        return Codebook(self.palette, self.space)

    def to_array(self):
        """(M, N, 3|4) uint8: the decoded image."""
        return self.palette[self.labels]

    def to_pil(self):
        """A mode "P" image; per-entry alpha in ``info["transparency"]``."""
        image = Image.fromarray(self.labels, mode="P")
        image.putpalette(self.palette[:, :3].tobytes(), rawmode="RGB")
        if self.palette.shape[1] == 4 and (self.palette[:, 3] < 255).any():  # opaque: no tRNS chunk
            image.info["transparency"] = bytes(self.palette[:, 3].tolist())
        if self.icc_profile:
            image.info["icc_profile"] = self.icc_profile
        return image

    def encoded(self, fmt, *, optimize=False):
        """The image file content in one of OUTPUT_FORMATS: PNG, GIF, TIFF and BMP
        indexed, WebP lossless; every one holds exactly the palette's colors.
        ``optimize`` recompresses a PNG (see :func:`optimize_png`)."""
        spec = output_format(fmt)
        check_optimizable(spec.name, optimize)
        image = self._packed().to_pil() if spec.name == "PNG" else self.to_pil()
        options = dict(spec.save_options)
        alpha = self.palette[:, 3] if self.palette.shape[1] == 4 else np.full(len(self.palette), 255)
        if (alpha < 255).any():
            if spec.alpha == "none":
                raise UsageError(f"{spec.name} cannot hold transparency; write png, webp, tiff or gif")
            if spec.alpha == "binary":
                # GIF has one transparent index, not per-entry alpha.
                image.info.pop("transparency", None)
                transparent = np.flatnonzero(alpha == 0)
                if transparent.size:
                    options["transparency"] = int(transparent[0])
                partial = int(((alpha > 0) & (alpha < 255)).sum())
                if partial:
                    warnings.warn(f"GIF keeps only full transparency: {partial} semi-transparent colors "
                                  "written opaque (write png to keep them)", TransparencyWarning, stacklevel=2)
            elif not spec.indexed_alpha:
                image = Image.fromarray(self.to_array(), "RGBA")  # same colors, not indexed
        if spec.icc and self.icc_profile:
            options["icc_profile"] = self.icc_profile
        buffer = io.BytesIO()
        image.save(buffer, format=spec.name, **options)
        return optimize_png(buffer.getvalue()) if optimize else buffer.getvalue()

    def reordered(self, order):
        """The same image with palette entry ``order[i]`` at index ``i``."""
        rank = np.empty(len(order), dtype=self.labels.dtype)
        rank[order] = np.arange(len(order))
        return CompressedImage(self.palette[order], rank[self.labels], self.counts[order], self.mse, self.psnr,
                               self.space, self.icc_profile)

    def _packed(self):
        """The same image with its palette in order of lightness when it has at most
        16 colors: PNG packs those at 4 bits or fewer per pixel and filters the
        rows, and neighbouring indices of similar colors make the filtered rows
        smaller (4-20% on the sample photos at k = 16; at 8 bits the order changes
        nothing)."""
        if len(self.palette) > 16:
            return self
        lightness = colors_to_features(self.palette[:, :3], "oklab")[:, 0]
        return self.reordered(np.argsort(lightness, kind="stable"))


@dataclass(frozen=True)
class OutputFormat:
    """What a file format keeps of a compressed image.

    alpha : "full" (per-entry alpha), "binary" (one transparent entry) or "none".
    indexed_alpha : whether Pillow writes transparency with palette indices; a
        format with alpha but not this gets RGBA pixels of the same colors.
    """
    name: str
    alpha: str
    indexed_alpha: bool
    icc: bool
    save_options: tuple = ()


# PNG bytes against pngquant's, geometric means over 9 photos at k = 16 / 64 / 256:
# Pillow's zlib 1.045 / 1.060 / 0.991 plain, 1.011 / 0.983 / 0.968 dithered;
# recompressed by oxipng (optimize=True) 0.92 / 0.95 / 0.91 and 0.89 / 0.89 / 0.90
# for 6-11x the encoding time (bench/compress.py). oxipng's level 1 left 2% more
# bytes for half the time; level 4 saved 1-3% more for 3x the time.
OXIPNG_LEVEL = 2
# zlib level 6 for PNG: level 9 made files 1-5% smaller (geometric means at k = 16,
# 64, 256 on the 9 benchmark photos) for 4-8x the encoding time (5 s against 1 s
# for a 17.9 MP photo at k = 16). WebP lossless, and exact: lossy WebP would add
# thousands of colors.
OUTPUT_FORMATS = {
    "png": OutputFormat("PNG", "full", True, True),
    "gif": OutputFormat("GIF", "binary", True, False),
    "webp": OutputFormat("WEBP", "full", False, True, (("lossless", True), ("exact", True))),
    "tiff": OutputFormat("TIFF", "full", False, True, (("compression", "tiff_adobe_deflate"),)),
    "bmp": OutputFormat("BMP", "none", False, False),
}
_EXTENSIONS = {"png": "png", "gif": "gif", "webp": "webp", "tif": "tiff", "tiff": "tiff", "bmp": "bmp"}
LOSSY_EXTENSIONS = ("jpg", "jpeg", "jpe", "jfif")


def optimize_png(content):
    """A PNG (or APNG) file's content recompressed by oxipng: the same pixels,
    palette and chunks, about 10% fewer bytes for 3-5x Pillow's encoding time.

    oxipng's default level; its reductions, which could drop an unused (locked)
    palette entry or turn an indexed image into a gray or RGB one, are off.
    """
    import oxipng  # only for --optimize: keeps the CLI's import time

    return oxipng.optimize_from_memory(content, level=OXIPNG_LEVEL, palette_reduction=False,
                                       color_type_reduction=False, grayscale_reduction=False)


def check_optimizable(format_name, optimize):
    if optimize and format_name != "PNG":
        raise UsageError(f"optimize recompresses PNG files; {format_name} is written as it is")


def output_format(fmt):
    """The OutputFormat of a name or extension ("tif" -> tiff); JPEG and unknown
    names are a UsageError: JPEG is lossy and cannot keep N colors."""
    name = str(fmt).lower().lstrip(".")
    if name in LOSSY_EXTENSIONS:
        raise UsageError("JPEG cannot keep N colors (lossy compression adds thousands); "
                         f"write one of {', '.join(OUTPUT_FORMATS)}")
    if name not in _EXTENSIONS:
        raise UsageError(f"unknown output format {fmt!r}: use one of {', '.join(OUTPUT_FORMATS)}")
    return OUTPUT_FORMATS[_EXTENSIONS[name]]


def format_of(path):
    """The output format named by a file's extension; see :func:`output_format`."""
    ext = Path(path).suffix
    if not ext:
        raise UsageError(f"{path}: no extension to tell the format by; add one or pass --format")
    try:
        output_format(ext)
    except UsageError as error:
        raise UsageError(f"{path}: {error}") from None
    return _EXTENSIONS[ext.lower().lstrip(".")]


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
    pixels, histogram, features, book = _fitted(loaded.pixels, n_colors, space, random_state, palette,
                                                locked_colors, alpha_threshold, weigh_smoothness, n_threads)
    return _remap(pixels, histogram, features, book, strength, n_threads, loaded.icc_profile)


def fit_palette(image, n_colors, *, space="oklab", random_state=None, locked_colors=None, alpha_threshold=8,
                weigh_smoothness=None, n_threads=None, max_pixels=None):
    """The palette (n, 3|4) uint8 that :func:`compress_image` learns for ``image``
    with these arguments, without remapping the image to it."""
    loaded = load_image(image, max_pixels=max_pixels)
    check_space(space)
    return _fitted(loaded.pixels, n_colors, space, random_state, None, locked_colors, alpha_threshold,
                   weigh_smoothness, resolve_n_threads(n_threads))[3].palette


def _fitted(pixels, n_colors, space, random_state, palette, locked_colors, alpha_threshold, weigh_smoothness,
            n_threads):
    """(pixels matched to the codebook, their histogram, its colors' features in
    ``space``, the Codebook): given by ``palette``, or learned."""
    rng = check_random_state(random_state)
    if palette is not None:
        book = _fixed_codebook(np.asarray(palette), pixels, space)
        pixels = book._match_channels(pixels)
        histogram = color_histogram(pixels, n_threads)
        return pixels, histogram, colors_to_features(histogram.colors, space, np.float32), book
    n_colors = _check_n_colors(n_colors)
    locked = None if locked_colors is None else Codebook(np.asarray(locked_colors), space).palette
    histogram = color_histogram(pixels, n_threads)
    features = colors_to_features(histogram.colors, space, np.float32)
    fitted = histogram
    if space != "rgb" if weigh_smoothness is None else weigh_smoothness:
        fitted = ColorHistogram(histogram.colors, smoothness_weights(histogram, pixels.shape), histogram.inverse)
    book = learn_palette(fitted, features, n_colors, space, rng, n_threads, locked, alpha_threshold)
    return pixels, histogram, features, book


def smoothness_weights(histogram, shape):
    """Each color's weight for the fit: the sum over its pixels of how smooth their
    3x3 neighbourhood is in OKLab lightness (1 + TEXTURE_FLOOR when flat,
    TEXTURE_FLOOR in texture), in place of its pixel count."""
    lightness = colors_to_features(histogram.colors[:, :3], "oklab", np.float32)[:, 0]
    if histogram.colors.shape[1] == 4:  # the colors under transparent pixels are nobody's
        lightness[histogram.colors[:, 3] == 0] = 0.0
    per_pixel = np.ascontiguousarray(lightness[histogram.inverse].reshape(shape[:2]))
    weights = np.zeros(len(histogram.colors))
    _kernels.histogram.smoothness_weights(per_pixel, histogram.inverse, SMOOTH_SCALE, TEXTURE_FLOOR, weights)
    return weights


def dither_strength(dither):
    """The error-diffusion strength of a ``dither`` argument: 0 for none."""
    if dither is True:
        return DITHER_STRENGTH
    if dither is False or dither is None:
        return 0.0
    if not isinstance(dither, (int, float, np.number)) or not 0 <= dither <= 1:
        raise InputError(f"dither must be True, False or a strength from 0 to 1, got {dither!r}")
    return float(dither)


def _fixed_codebook(palette, pixels, space):
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


def _check_n_colors(n_colors):
    if isinstance(n_colors, bool) or not isinstance(n_colors, (int, np.integer)) or not 1 <= n_colors <= MAX_COLORS:
        raise InputError(f"n_colors must be an integer from 1 to {MAX_COLORS}, got {n_colors!r}")
    return int(n_colors)


def learn_palette(histogram, features, n_colors, space, rng, n_threads, locked=None, alpha_threshold=8):
    """Fit a Codebook of ``n_colors`` to an image's ColorHistogram, whose colors are
    ``features`` (float32) in ``space``."""
    colors, weights = histogram.colors, histogram.counts.astype(np.float64)
    reserved = []
    if colors.shape[1] == 4:
        transparent = colors[:, 3] == 0
        if transparent.any():
            reserved.append(np.zeros(4, dtype=np.uint8))  # one entry for every invisible pixel
        weights = np.where(colors[:, 3] < alpha_threshold, 0.0, weights)
    if locked is not None:
        locked = Codebook(locked, space)._match_channels(locked)
        reserved.extend(locked)
    n_learned = n_colors - len(reserved)
    visible = weights > 0
    if n_learned < 0 or (n_learned == 0 and (not reserved or (visible.any() and locked is None))):
        taken = " and ".join(part for part in (
            "one transparent entry" if len(reserved) > (0 if locked is None else len(locked)) else "",
            f"{len(locked)} locked colors" if locked is not None else "") if part)
        raise InputError(f"n_colors={n_colors} leaves no color for the visible pixels after {taken}; "
                         "ask for more colors")
    if n_learned == 0 or not visible.any():
        return Codebook(np.array(reserved, dtype=np.uint8).reshape(-1, colors.shape[1]), space)
    if visible.sum() <= n_learned:
        if visible.sum() < n_learned:
            n_visible = int(visible.sum())
            warnings.warn(f"only {n_visible} distinct visible color{'s' if n_visible > 1 else ''}, fewer than "
                          f"the {n_learned} asked; keeping {'them all' if n_visible > 1 else 'it'}",
                          FewDistinctPointsWarning, stacklevel=3)
        learned = colors[visible]
    else:
        preset = colors_to_features(locked, space) if locked is not None else None
        centers = _fit_centers(colors[visible], features[visible], weights[visible], n_learned, rng,
                               n_threads, preset)
        learned = Codebook.from_centers(centers, space).palette
        if locked is not None:
            learned = learned[len(locked):]
    return Codebook(np.vstack([np.array(reserved, dtype=np.uint8).reshape(-1, colors.shape[1]), learned]), space)


def _fit_centers(colors, features, weights, n_learned, rng, n_threads, preset=None):
    """Weighted k-means of the colors, coarse to fine; preset centers stay fixed."""
    n_fixed = 0 if preset is None else len(preset)
    k = n_learned + n_fixed
    fixed = np.arange(k) < n_fixed
    levels = [bin_colors(colors, features, weights, bits) + (True,) for bits in COARSE_BITS]
    levels = [level for level in levels if len(level[0]) >= MIN_BINS_PER_CLUSTER * k]
    levels.append((features, weights, None, False))
    centers = None
    for X, w, _, coarse in levels:
        X = np.ascontiguousarray(X, dtype=np.float32)
        tol = weighted_tolerance(X, w, COARSE_TOL if coarse else FINE_TOL, n_threads)
        if centers is None:
            restarts = min(MAX_RESTARTS, max(1, RESTART_BUDGET // k)) if coarse else 1
            centers = _best_seeded_fit(X, w, k, rng, n_threads, preset, fixed, tol, restarts)
        else:
            centers = lloyd(X, w, centers, MAX_ITER if coarse else MAX_ITER_FINE, tol, n_threads, fixed).centers
    return centers


def _best_seeded_fit(X, w, k, rng, n_threads, preset, fixed, tol, restarts):
    best = None
    for _ in range(restarts):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewDistinctPointsWarning)
            seeds, _ = _kmeans_plusplus(X, w, k, rng, 2 + int(np.log(k)), n_threads, preset)
        if len(seeds) < k:  # fewer bins than clusters: pad with copies, relocated by Lloyd
            seeds = np.vstack([seeds, np.repeat(seeds[-1:], k - len(seeds), axis=0)])
        result = lloyd(X, w, seeds, MAX_ITER, tol, n_threads, fixed)
        if best is None or result.inertia < best.inertia:
            best = result
    return best.centers


def _remap(pixels, histogram, features, book, strength, n_threads, icc_profile):
    """Map every pixel to the codebook; sort the palette by use; measure the error.
    ``features`` are the histogram's colors in the codebook's space."""
    color_labels = book.encode_features(features, n_threads)
    if histogram.colors.shape[1] == 4:
        invisible = np.flatnonzero((book.palette[:, 3] == 0))
        if invisible.size:
            color_labels[histogram.colors[:, 3] == 0] = invisible[0]
    # Palette entries ranked by use, counted on the histogram rather than per pixel.
    dither = strength > 0
    if dither:
        labels = _dither(histogram, features, book, pixels.shape, strength, n_threads)
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
        labels = rank[color_labels][histogram.inverse].reshape(pixels.shape[:2])
        diff = book.palette[color_labels].astype(np.float64) - histogram.colors
        weights = _visible(histogram.colors) * histogram.counts
        n_visible = weights.sum()
        mse = float(np.sum(weights[:, None] * diff * diff) / (COLOR_CHANNELS * n_visible)) if n_visible else 0.0
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


def _dither(histogram, features, book, shape, strength, n_threads):
    """Floyd-Steinberg labels (M, N). Fully transparent pixels take the transparent
    entry and pass no error on: the colors under them are invisible."""
    image = np.ascontiguousarray(features[histogram.inverse].reshape(shape[0], shape[1], -1))
    centers = book.centers
    geometry = _Geometry.of(centers, n_threads)
    labels = np.full(shape[:2], -1, dtype=np.int32)  # -1: to be dithered
    invisible = np.flatnonzero(book.palette[:, 3] == 0) if book.palette.shape[1] == 4 else []
    if len(invisible) and histogram.colors.shape[1] == 4:
        transparent = (histogram.colors[:, 3] == 0)[histogram.inverse].reshape(shape[:2])
        labels[transparent] = invisible[0]
    # One strength everywhere: lowering it on edges and texture (libimagequant's
    # dither map, from the local contrast of lightness) scored lower with
    # SSIMULACRA2 than a plain 0.8, at k = 16, 64 and 256.
    _kernels.nearest.dither_floyd_steinberg(image, centers, geometry.order, geometry.cc_sorted,
                                          centers.min(axis=0), centers.max(axis=0), strength, labels)
    return labels


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
    best = attempt(_check_n_colors(max_colors))
    if best.psnr < target_psnr:
        warnings.warn(f"{len(best.palette)} colors reach {best.psnr:.1f} dB, short of the {target_psnr:g} dB "
                      f"asked; raise the color limit (--max-colors) or lower the target",
                      QualityNotReachedWarning, stacklevel=2)
        return _with_profile(best, loaded.icc_profile)
    low, high = 1, len(best.palette)  # the answer is in (low - 1, high]
    while low < high:
        middle = (low + high) // 2
        result = attempt(middle)
        if result.psnr >= target_psnr:
            best, high = result, middle
        else:
            low = middle + 1
    return _with_profile(best, loaded.icc_profile)


def _with_profile(result, icc_profile):
    return CompressedImage(result.palette, result.labels, result.counts, result.mse, result.psnr,
                           result.space, icc_profile)
