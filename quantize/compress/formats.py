"""The file formats a compressed image is written in, and what each keeps."""
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError


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


# PNG bytes against pngquant's, geometric means over 9 photos at k = 16 / 64 / 256
# (bench/compress.py): Pillow's zlib 1.06 / 1.08 / 1.00 plain, 1.00 / 0.97 / 0.96
# dithered; recompressed by oxipng (optimize=True) 0.92 / 0.96 / 0.92 and 0.89 /
# 0.88 / 0.88, for 3-11x Pillow's encoding time (medians). oxipng's level 1 left
# 2% more bytes for half the time; level 4 saved 1-3% more for 3x the time.
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
    palette and chunks in 8-13% fewer bytes (geometric means over the benchmark
    photos; 2-22% per photo), for 3-11x Pillow's encoding time.

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


def extension_of(fmt):
    """The file extension an output format is written with ("tif" for tiff)."""
    return "tif" if fmt == "tiff" else fmt


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
