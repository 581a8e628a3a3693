"""``quantize compress``: reduce images to N colors, written as indexed PNG or GIF."""
import logging
from pathlib import Path

import click

from quantize.compress import compress_file
from quantize.errors import QuantizeError
from quantize.palette import parse_color, read_palette

from .options import (colors_option, max_pixels_option, overwrite_option, seed_option,
                      space_option, threads_option)

log = logging.getLogger("quantize")
INDEXED = ("png", "gif")


def output_paths(inputs, output, fmt):
    """Where each input goes: ``-o FILE`` for one input, ``-o DIR`` for any number,
    else ``NAME-quantized.EXT`` beside the input."""
    ext = fmt or "png"
    if output is not None and (output.is_dir() or len(inputs) > 1):
        if not output.is_dir():
            raise click.BadParameter(f"{output} is not a folder; with several inputs -o names a folder",
                                     param_hint="'-o'")
        return [output / f"{path.stem}.{ext}" for path in inputs]
    if output is not None:
        return [output]
    return [path.with_name(f"{path.stem}-quantized.{ext}") for path in inputs]


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@colors_option
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Output file (one input) or folder [default: NAME-quantized.png beside the input].")
@click.option("--format", "fmt", type=click.Choice(["png", "gif", "webp", "tiff", "bmp", "jpeg"]),
              default=None, help="Output format [default: from -o's extension, else png].")
@space_option
@click.option("--dither/--no-dither", default=False, show_default=True,
              help="Floyd-Steinberg error diffusion.")
@click.option("--quality", type=click.FloatRange(min=0, min_open=True), default=None, metavar="PSNR",
              help="Use the fewest colors (up to --max-colors) that reach this PSNR in dB.")
@click.option("--max-colors", type=click.IntRange(1, 256), default=256, show_default=True,
              help="Upper bound on colors for --quality.")
@click.option("--palette", "palette_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Remap to this palette (JSON, GIMP .gpl or hex list) instead of learning one.")
@click.option("--lock", "locked", multiple=True, metavar="#RRGGBB",
              help="A color the palette must keep (repeatable); the rest are learned.")
@click.option("--compare", type=click.Path(path_type=Path), default=None,
              help="Also write a before/after picture (PNG); one input only.")
@overwrite_option
@seed_option
@threads_option
@max_pixels_option
def compress(inputs, n_colors, output, fmt, space, dither, quality, max_colors, palette_file, locked,
             compare, overwrite, seed, threads, max_pixels):
    """Reduce each INPUT image to N colors and write it as an indexed PNG (or GIF).

    \b
    Examples:
      quantize compress photo.jpg -k 64
      quantize compress photo.jpg -k 16 --dither -o small.png
      quantize compress a.jpg b.png -k 32 -o out/
      quantize compress photo.jpg --quality 40 --max-colors 128
      quantize compress photo.jpg --palette brand.gpl
    """
    chosen = [n_colors is not None, quality is not None, palette_file is not None]
    if sum(chosen) != 1:
        raise click.UsageError("give exactly one of -k/--colors, --quality or --palette")
    if compare is not None and len(inputs) > 1:
        raise click.UsageError("--compare takes one input")
    if fmt is None and output is not None and output.suffix and not output.is_dir() and len(inputs) == 1:
        fmt = output.suffix.lstrip(".").lower().replace("jpg", "jpeg")
    try:
        palette = read_palette(palette_file) if palette_file else None
        lock = [parse_color(c) for c in locked] or None
    except QuantizeError as error:
        raise click.BadParameter(str(error)) from None
    targets = output_paths(inputs, output, fmt)
    failed = 0
    for source, target in zip(inputs, targets):
        if target.exists() and source.exists() and target.resolve() == source.resolve():
            log.error("%s: the output would replace the input; choose another -o", source)
            failed += 1
            continue
        try:
            result = compress_file(source, target, fmt=fmt or "png", n_colors=n_colors, quality=quality,
                                   max_colors=max_colors, space=space, dither=dither, palette=palette,
                                   locked_colors=lock, random_state=seed, n_threads=threads,
                                   max_pixels=max_pixels, overwrite=overwrite, compare_path=compare)
        except QuantizeError as error:
            log.error("Error: %s", error)
            failed += 1
            continue
        log.info("%s -> %s: %d colors, PSNR %.2f dB", source, target, len(result.palette), result.psnr)
    if failed:
        raise click.exceptions.Exit(1)
