"""Animations: every frame of an animated GIF, APNG or WebP reduced to N colors.

Frames are read as Pillow composes them (each a whole picture, disposal and
blending applied), so they can be written back whole, in any of the formats
that animate. By default one palette serves every frame: it is learned from the
pixels of all frames at once (the frames stacked as one tall image), so a GIF
holds one global color table and an APNG, which has a single palette, stays
indexed. ``per_frame_palette`` fits each frame alone (a local color table per
GIF frame; APNG frames then become RGBA of the same colors).
"""
import io
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from ..errors import InputError, TransparencyWarning, UsageError
from ..io import DEFAULT_MAX_PIXELS, _bomb_limit, _from_pil, open_image
from .fit import MAX_COLORS, fit_palette, fixed_codebook
from .formats import OUTPUT_FORMATS, check_optimizable, optimize_png
from .pipeline import compress_image, compress_to_quality
from .result import CompressedImage

# Formats that hold an animation, by output format name.
ANIMATED_FORMATS = ("gif", "png", "webp")
DEFAULT_DURATION = 100  # ms per frame when the file gives none (browsers' usual fallback)


@dataclass(frozen=True)
class Frames:
    """The frames of an animation, decoded: pixels (M, N, 3|4) uint8 each, with
    their durations (ms), the loop count (0: forever; None: the file has none, a
    GIF that plays once) and the ICC profile."""
    pixels: list
    durations: list
    loop: int | None
    icc_profile: bytes | None = field(default=None, repr=False)


def n_frames(path):
    """Frames in an image file, read from its header: 1 for a still image, and for
    anything that is not an image (loading it says why)."""
    try:
        with _bomb_limit(None), Image.open(path) as image:
            return getattr(image, "n_frames", 1)
    except (OSError, ValueError, SyntaxError):
        return 1


def load_frames(path, *, max_pixels=None):
    """Every frame of an image file as whole RGB(A) pictures (one for a still
    image, read as :func:`quantize.load_image` reads it), refused like a still
    image when the frames hold more pixels than the limit."""
    with open_image(path, max_pixels=max_pixels) as image:
        count = getattr(image, "n_frames", 1)
        if count == 1:
            image.load()
            still = _from_pil(image, str(path))
            return Frames([still.pixels], [int(image.info.get("duration") or DEFAULT_DURATION)], None,
                          still.icc_profile)
        limit = DEFAULT_MAX_PIXELS if max_pixels is None else int(max_pixels)
        if image.width * image.height * count > limit:
            raise InputError(f"{path}: {count} frames of {image.width}x{image.height}, above the limit of "
                             f"{limit} pixels; raise it (--max-pixels) if you trust the file")
        loop = image.info.get("loop")
        loop = None if loop is None else int(loop)
        icc = image.info.get("icc_profile")
        frames, durations = [], []
        for index in range(count):
            image.seek(index)
            image.load()
            durations.append(int(round(image.info.get("duration") or DEFAULT_DURATION)))
            frames.append(image.convert("RGBA"))
    pixels = [np.asarray(frame) for frame in frames]
    if all((p[:, :, 3] == 255).all() for p in pixels):
        pixels = [np.ascontiguousarray(p[:, :, :3]) for p in pixels]
    return Frames(pixels, durations, loop, icc)


@dataclass(frozen=True)
class CompressedAnimation:
    """The frames of an animation reduced to a palette (one shared, or one each).

    frames : list of CompressedImage
    durations : list of int, milliseconds per frame
    loop : int, 0 for forever
    shared_palette : bool
    """
    frames: list
    durations: list
    loop: int | None
    shared_palette: bool
    icc_profile: bytes | None = field(default=None, repr=False)

    @property
    def n_colors(self):
        """The most colors any frame uses."""
        return max(frame.n_colors for frame in self.frames)

    @property
    def mse(self):
        return float(np.mean([frame.mse for frame in self.frames]))

    @property
    def psnr(self):
        return math.inf if self.mse == 0 else 10 * math.log10(255.0 ** 2 / self.mse)

    def encoded(self, fmt, *, optimize=False):
        """The animation file content: "gif" or "png" (APNG) indexed, "webp" lossless;
        ``optimize`` recompresses an APNG (see :func:`quantize.compress.optimize_png`).

        Pillow writes two consecutive frames that came out identical as one, with
        their durations added: the animation plays the same."""
        fmt = str(fmt).lower()
        if fmt not in ANIMATED_FORMATS:
            raise UsageError(f"{fmt} cannot hold an animation; write {', '.join(ANIMATED_FORMATS)}")
        check_optimizable(OUTPUT_FORMATS[fmt].name, optimize)
        alpha = [frame.palette[:, 3] for frame in self.frames if frame.palette.shape[1] == 4]
        has_alpha = any((a < 255).any() for a in alpha)
        # Whole frames: each replaces the last. A GIF's transparent index shows the
        # previous frame, so with transparency each is cleared first (disposal 2,
        # restore to background); an APNG frame replaces its area, alpha included
        # (blend 0, source), so nothing need be cleared (disposal 0).
        options = {"save_all": True, "duration": self.durations}
        if self.loop is not None:
            options["loop"] = self.loop
        elif fmt != "gif":  # a GIF without a loop count plays once; APNG and WebP say 1
            options["loop"] = 1
        if fmt == "gif":
            partial = max(int(((a > 0) & (a < 255)).sum()) for a in alpha) if alpha else 0
            if partial:
                warnings.warn(f"GIF keeps only full transparency: {partial} semi-transparent colors written "
                              "opaque (write png to keep them)", TransparencyWarning, stacklevel=2)
            # optimize=False: Pillow would drop palette entries no pixel uses (a
            # locked color) and give frames local color tables.
            options.update(disposal=2 if has_alpha else 1, optimize=False)
            images = [_gif_frame(frame) for frame in self.frames]
            if has_alpha:
                options["transparency"] = 0  # _gif_frame puts it first in every frame
        elif fmt == "png":
            indexed = self.shared_palette
            images = [frame.to_pil() if indexed else Image.fromarray(frame.to_array()) for frame in self.frames]
            options.update(disposal=0, blend=0)
            if self.icc_profile:
                options["icc_profile"] = self.icc_profile
        else:
            images = [Image.fromarray(frame.to_array()) for frame in self.frames]
            options.update(lossless=True, exact=True)
            if self.icc_profile:
                options["icc_profile"] = self.icc_profile
        buffer = io.BytesIO()
        images[0].save(buffer, format=OUTPUT_FORMATS[fmt].name, append_images=images[1:], **options)
        return optimize_png(buffer.getvalue()) if optimize else buffer.getvalue()


def _gif_frame(frame):
    """A P image of a frame for a GIF, which has one transparent index and no
    alpha: the fully transparent entry moves to index 0 in every frame, so one
    transparency index serves them all (their palettes may differ)."""
    if frame.palette.shape[1] == 4 and (frame.palette[:, 3] == 0).any():
        transparent = int(np.flatnonzero(frame.palette[:, 3] == 0)[0])
        order = np.r_[transparent, np.delete(np.arange(len(frame.palette)), transparent)]
        frame = frame.reordered(order)
    image = frame.to_pil()
    image.info.pop("transparency", None)
    return image


def compress_animation(frames, n_colors=None, *, quality=None, max_colors=MAX_COLORS, per_frame_palette=False,
                       palette=None, dither=False, **options):
    """Reduce every frame of an animation to at most ``n_colors`` colors.

    Parameters
    ----------
    frames : Frames (from :func:`load_frames`) or a path
    n_colors : int, 1..256
    quality : float, optional
        Instead of ``n_colors``: the fewest colors whose PSNR reaches this (dB),
        found on all frames together (or each frame, with ``per_frame_palette``).
    per_frame_palette : bool
        A palette fitted to each frame instead of one for all.
    palette : array_like (n, 3|4) uint8, optional
        One fixed palette for every frame.
    dither, **options
        As :func:`quantize.compress_image` (space, random_state, n_threads, ...).

    Returns
    -------
    CompressedAnimation
    """
    if not isinstance(frames, Frames):
        frames = load_frames(frames)
    if per_frame_palette and palette is None:
        results = [_fit(pixels, n_colors, quality, max_colors, dither, options) for pixels in frames.pixels]
        return CompressedAnimation(results, frames.durations, frames.loop, False, frames.icc_profile)
    tall = np.concatenate(same_channels(frames.pixels), axis=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if palette is None:
            palette = _shared_palette(tall, n_colors, quality, max_colors, options)
        else:  # one transparent entry for the whole animation, if it needs one
            palette = fixed_codebook(np.asarray(palette), tall, options.get("space", "oklab")).palette
    for warning in caught:  # about the palette, once; transparency is said by each frame's remap below
        if not issubclass(warning.category, TransparencyWarning):
            warnings.warn(warning.message, warning.category, stacklevel=2)
    remapped = [compress_image(pixels, None, palette=palette, dither=dither, **options) for pixels in frames.pixels]
    return CompressedAnimation([_in_order(frame, palette) for frame in remapped], frames.durations, frames.loop,
                               True, frames.icc_profile)


def _fit(pixels, n_colors, quality, max_colors, dither, options):
    if quality is not None:
        return compress_to_quality(pixels, quality, max_colors=max_colors, dither=dither, **options)
    return compress_image(pixels, n_colors, dither=dither, **options)


def _shared_palette(pixels, n_colors, quality, max_colors, options):
    """One palette for all frames (stacked as one image): learned only, unless a
    quality target needs the remaps to measure it."""
    if quality is not None:
        return compress_to_quality(pixels, quality, max_colors=max_colors, **options).palette
    return fit_palette(pixels, n_colors, **options)


def same_channels(pixels):
    if len({p.shape[2] for p in pixels}) == 1:
        return pixels
    return [p if p.shape[2] == 4 else np.dstack([p, np.full(p.shape[:2], 255, np.uint8)]) for p in pixels]


def _in_order(frame, palette):
    """The frame with its palette in the shared palette's order, so that every frame
    of the file has the same palette (one GIF color table, one APNG PLTE)."""
    palette = np.asarray(palette, dtype=np.uint8)
    where = {color.tobytes(): index for index, color in enumerate(palette)}
    shared_index = np.array([where[color.tobytes()] for color in frame.palette])
    counts = np.zeros(len(palette), dtype=np.int64)
    np.add.at(counts, shared_index, frame.counts)
    labels = shared_index.astype(frame.labels.dtype)[frame.labels]
    return CompressedImage(palette, labels, counts, frame.mse, frame.psnr, frame.space, frame.icc_profile)
