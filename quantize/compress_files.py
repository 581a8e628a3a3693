"""The per-file worker of ``compress``: a still image or an animation read,
reduced and written atomically."""
import os
import warnings
from pathlib import Path

from .animation import ANIMATED_FORMATS, compress_animation, load_frames, n_frames
from .compress import MAX_COLORS, _with_profile, compress_image, compress_to_quality, format_of
from .errors import FirstFrameWarning, UsageError
from .io import check_output, load_image, write_atomically
from .plots import comparison


def compress_file(source, target, *, fmt=None, n_colors=None, quality=None, max_colors=MAX_COLORS,
                  overwrite=False, compare_path=None, max_pixels=None, per_frame_palette=False, optimize=False, **options):
    """Compress one file and write it atomically.

    Exactly one of ``n_colors``, ``quality`` (target PSNR) or ``options["palette"]``
    decides the palette. ``fmt`` defaults to the target's extension; ``optimize``
    recompresses a PNG with oxipng. An animated
    source written as GIF, PNG (APNG) or WebP keeps every frame; into another
    format, its first frame (with a FirstFrameWarning). Returns the
    CompressedImage or CompressedAnimation.
    """
    check_output(target, overwrite)  # fail before the work, not after
    if compare_path is not None:
        check_output(compare_path, overwrite)
    fmt = fmt or format_of(target)
    animated = n_frames(source) > 1
    if animated and fmt in ANIMATED_FORMATS:
        frames = load_frames(source, max_pixels=max_pixels)
        result = compress_animation(frames, n_colors, quality=quality, max_colors=max_colors,
                                    per_frame_palette=per_frame_palette, **options)
        content = result.encoded(fmt, optimize=optimize)
        write_atomically(target, lambda f: f.write(content), overwrite=overwrite)
        if compare_path is not None:
            warnings.warn("animated: --compare shows the first frame", FirstFrameWarning, stacklevel=2)
            picture = comparison(frames.pixels[0], result.frames[0].to_array())
            write_atomically(compare_path, lambda f: picture.save(f, format="PNG"), overwrite=overwrite)
        return result
    if animated and Path(target).exists() and os.path.samefile(source, target):
        raise UsageError(f"{source}: animated; in place as {fmt} only its first frame would be kept: "
                         "write the result elsewhere with -o")
    loaded = load_image(source, max_pixels=max_pixels)
    if quality is not None:
        result = compress_to_quality(loaded.pixels, quality, max_colors=max_colors, **options)
    else:
        result = compress_image(loaded.pixels, n_colors, **options)
    result = _with_profile(result, loaded.icc_profile)
    content = result.encoded(fmt, optimize=optimize)
    write_atomically(target, lambda f: f.write(content), overwrite=overwrite)
    if compare_path is not None:
        picture = comparison(loaded.pixels, result.to_array())
        write_atomically(compare_path, lambda f: picture.save(f, format="PNG"), overwrite=overwrite)
    return result
