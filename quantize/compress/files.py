"""The per-file worker of ``compress``: a still image or an animation read,
reduced and written atomically."""
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FirstFrameWarning, UsageError
from ..io import check_output, load_image, write_atomically
from ..plots import comparison
from .animation import ANIMATED_FORMATS, compress_animation, load_frames, n_frames, same_channels
from .choose import choose_n_colors
from .fit import MAX_COLORS
from .formats import format_of
from .pipeline import compress_image, compress_to_quality, with_profile


@dataclass(frozen=True)
class CompressSettings:
    """What ``compress`` does to each file. Exactly one of ``n_colors``, ``quality``
    (a target PSNR, with at most ``max_colors``), ``palette``, ``choose`` (a method
    of :func:`choose_n_colors` over ``candidates``) or ``delta_e`` (the fewest
    colors, up to ``max_colors``, whose mean CIEDE2000 is at most this) decides it;
    ``fmt`` defaults to the target's extension; the rest as in :func:`compress_image`
    (``per_frame_palette`` as in :func:`compress_animation`, ``optimize`` as in
    :meth:`CompressedImage.encoded`)."""
    n_colors: int | None = None
    quality: float | None = None
    max_colors: int = MAX_COLORS
    palette: np.ndarray | None = None
    choose: str | None = None
    candidates: tuple = tuple(range(2, 33))
    delta_e: float | None = None
    locked_colors: np.ndarray | None = None
    space: str = "oklab"
    dither: float = 0.0
    per_frame_palette: bool = False
    optimize: bool = False
    fmt: str | None = None
    random_state: int | None = 0
    max_pixels: int | None = None

    def chosen(self, pixels, n_threads):
        """(the number of colors for these pixels, the CompressedImage already made
        with it or None): ``n_colors``, or chosen (by --choose or --delta-e, whose
        search measured the very result it picks)."""
        if self.choose is not None:
            return choose_n_colors(pixels, self.candidates, method=self.choose, space=self.space,
                                   random_state=self.random_state, n_threads=n_threads).n_colors, None
        if self.delta_e is not None:
            choice = choose_n_colors(pixels, range(2, self.max_colors + 1), method="quality", quality=self.delta_e,
                                     dither=self.dither, space=self.space, random_state=self.random_state,
                                     n_threads=n_threads)
            return choice.n_colors, choice.result
        return self.n_colors, None

    def image_options(self, n_threads):
        """The keyword arguments of compress_image (and compress_to_quality) but the colors."""
        return {"space": self.space, "dither": self.dither, "palette": self.palette,
                "locked_colors": self.locked_colors, "random_state": self.random_state, "n_threads": n_threads}


def compress_file(source, target, settings=CompressSettings(), *, overwrite=False, compare_path=None,
                  n_threads=None):
    """Compress one file by ``settings`` (a :class:`CompressSettings`) and write it
    atomically. An animated source written as GIF, PNG (APNG) or WebP keeps every
    frame; into another format, its first frame (with a FirstFrameWarning).
    Returns the CompressedImage or CompressedAnimation.
    """
    check_output(target, overwrite)  # fail before the work, not after
    if compare_path is not None:
        check_output(compare_path, overwrite)
    fmt = settings.fmt or format_of(target)
    options = settings.image_options(n_threads)
    animated = n_frames(source) > 1
    if animated and fmt in ANIMATED_FORMATS:
        frames = load_frames(source, max_pixels=settings.max_pixels)
        n_colors, _ = settings.chosen(np.concatenate(same_channels(frames.pixels)), n_threads)
        result = compress_animation(frames, n_colors, quality=settings.quality,
                                    max_colors=settings.max_colors,
                                    per_frame_palette=settings.per_frame_palette, **options)
        content = result.encoded(fmt, optimize=settings.optimize)
        write_atomically(target, lambda f: f.write(content), overwrite=overwrite)
        if compare_path is not None:
            warnings.warn("animated: --compare shows the first frame", FirstFrameWarning, stacklevel=2)
            picture = comparison(frames.pixels[0], result.frames[0].to_array())
            write_atomically(compare_path, lambda f: picture.save(f, format="PNG"), overwrite=overwrite)
        return result
    if animated and Path(target).exists() and os.path.samefile(source, target):
        raise UsageError(f"{source}: animated; in place as {fmt} only its first frame would be kept: "
                         "write the result elsewhere with -o")
    loaded = load_image(source, max_pixels=settings.max_pixels)
    if settings.quality is not None:
        result = compress_to_quality(loaded.pixels, settings.quality, max_colors=settings.max_colors, **options)
    else:
        n_colors, result = settings.chosen(loaded.pixels, n_threads)
        if result is None:
            result = compress_image(loaded.pixels, n_colors, **options)
    result = with_profile(result, loaded.icc_profile)
    content = result.encoded(fmt, optimize=settings.optimize)
    write_atomically(target, lambda f: f.write(content), overwrite=overwrite)
    if compare_path is not None:
        picture = comparison(loaded.pixels, result.to_array())
        write_atomically(compare_path, lambda f: picture.save(f, format="PNG"), overwrite=overwrite)
    return result
