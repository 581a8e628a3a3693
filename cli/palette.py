"""``quantize palette``: learn an image's palette and export it, or plot it."""
from pathlib import Path

import click
import numpy as np

from quantize.compress import compress_image
from quantize.io import load_image, write_atomically
from quantize.palette import FORMATS, palette_bytes
from quantize.plots import pixel_cloud_plot

from .options import colors_option, max_pixels_option, overwrite_option, seed_option, space_option, threads_option


@click.command()
@click.argument("input", type=click.Path(path_type=Path))
@colors_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="json, csv, gpl or png (a swatch) [default: from -o's extension, else json].")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Palette file [default: print json/csv/gpl to stdout].")
@click.option("--plot", type=click.Path(path_type=Path), default=None,
              help="Also write the pixel-cloud plot (PNG): pixels in two color planes, before and after.")
@space_option
@overwrite_option
@seed_option
@threads_option
@max_pixels_option
def palette(input, n_colors, fmt, output, plot, space, overwrite, seed, threads, max_pixels):
    """Learn the N-color palette of INPUT and write it as JSON, CSV, GIMP .gpl or a PNG swatch.

    \b
    Examples:
      quantize palette photo.jpg -k 8
      quantize palette photo.jpg -k 16 -o colors.gpl
      quantize palette photo.jpg -k 16 -o swatch.png --plot cloud.png
    """
    if n_colors is None:
        raise click.UsageError("-k/--colors is required")
    fmt = fmt or (output.suffix.lstrip(".").lower() if output is not None and output.suffix else "json")
    if fmt not in FORMATS:
        raise click.UsageError(f"cannot tell the format from {output}; pass --format")
    if fmt == "png" and output is None:
        raise click.UsageError("a PNG swatch needs -o FILE")
    image = load_image(input, max_pixels=max_pixels)
    result = compress_image(image.pixels, n_colors, space=space, random_state=seed, n_threads=threads)
    content = palette_bytes(result.palette, result.proportions, fmt, name=input.stem)
    if output is None:
        click.echo(content.decode(), nl=False)
    else:
        write_atomically(output, lambda f: f.write(content), overwrite=overwrite)
    if plot is not None:
        picture = pixel_cloud_plot(image.pixels, result, np.random.default_rng(seed))
        write_atomically(plot, lambda f: picture.save(f, format="PNG"), overwrite=overwrite)
