"""``quantize palette``: learn an image's palette and export it, or plot it."""
import logging
from pathlib import Path

import click
import numpy as np

from quantize.batch.outputs import SKIP_HINT, OutputPlan, make_folder_for, require_png
from quantize.batch.tasks import warnings_of
from quantize.compress.choose import choose_n_colors
from quantize.compress.pipeline import compress_image
from quantize.errors import UsageError
from quantize.io import load_image, write_atomically
from quantize.palette import FORMATS, palette_bytes
from quantize.plots import choice_plot as choice_plot_image
from quantize.plots import pixel_cloud_plot

from .options import (
    choose_options,
    colors_option,
    given,
    max_pixels_option,
    seed_option,
    skip_existing_option,
    space_option,
    threads_option,
    verbosity_options,
)

log = logging.getLogger("quantize")


@click.command()
@click.argument("input", type=click.Path(path_type=Path))
@colors_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="json, csv, gpl or png (a swatch) [default: from -o's extension, else json].")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Palette file [default: print json/csv/gpl to stdout].")
@click.option("--plot", type=click.Path(path_type=Path), default=None,
              help="Also write the pixel-cloud plot (PNG): pixels in two color planes, before and after.")
@choose_options
@click.option("--choice-plot", type=click.Path(path_type=Path), default=None,
              help="With --choose: also write the curve the pick was made on (PNG).")
@space_option("oklab", "As compress.")
@skip_existing_option
@seed_option
@threads_option
@max_pixels_option
@verbosity_options
def palette(input, n_colors, fmt, output, plot, choose, candidates, choice_plot, space, skip_existing, seed, threads,
            max_pixels):
    """Learn the N-color palette of INPUT and write it as JSON, CSV, GIMP .gpl or a PNG swatch.

    Existing outputs are skipped unless --overwrite, as in compress and segment.

    \b
    Examples:
      quantize palette photo.jpg -k 8
      quantize palette photo.jpg -k 16 -o colors.gpl
      quantize palette photo.jpg -k 16 -o swatch.png --plot cloud.png
      quantize palette photo.jpg --choose elbow --range 2:64 --choice-plot k.png

    With --choose, the table of the numbers of colors tried goes to stdout (to
    stderr when the palette does).
    """
    if (n_colors is None) == (choose is None):
        raise click.UsageError("give exactly one of -k/--colors or --choose")
    ctx = click.get_current_context()
    if choose is None and (given(ctx, "candidates") or choice_plot is not None):
        raise click.UsageError("--range and --choice-plot go with --choose")
    if input.is_dir():
        raise click.UsageError(f"{input}: is a folder; palette reads one image (compress takes folders)")
    if not input.exists():
        raise UsageError(f"{input}: no such file")  # the same one line as compress's
    if output is not None:
        named = output.suffix.lstrip(".").lower()
        if fmt is None and named not in FORMATS:
            raise click.UsageError(f"cannot tell the format from {output}: name it .json, .csv, .gpl or "
                                   ".png, or pass --format")
        if fmt is not None and named in FORMATS and named != fmt:
            raise click.UsageError(f"{output}: the extension says {named}, --format says {fmt}; make them agree")
        fmt = fmt or named
    fmt = fmt or "json"
    if fmt == "png" and output is None:
        raise click.UsageError("a PNG swatch needs -o FILE")
    plan = OutputPlan([input], overwrite=not skip_existing)
    targets = [plan.claim(path, owner=input) for path in (output, plot, choice_plot) if path is not None]
    require_png(plot, "--plot")
    require_png(choice_plot, "--choice-plot")
    decision = plan.decide(input, targets)
    if decision.action == "skip":
        if output is not None:
            log.warning("%s", decision.message)
            return
        # The palette still goes to stdout, which holds no earlier result; the plots stay as they are.
        kept = ", ".join(str(path) for path in targets if path.exists())
        log.warning("%s: kept the existing %s (%s); printing the palette alone", input, kept, SKIP_HINT)
        plot = choice_plot = None
    for target in targets:  # before the work: a file in the way fails now
        make_folder_for(target)
    said = []
    try:
        with warnings_of(input, said):
            image = load_image(input, max_pixels=max_pixels)
            if choose is not None:
                choice = choose_n_colors(image.pixels, candidates, method=choose, space=space, random_state=seed,
                                         n_threads=threads)
                click.echo(choice.table(), err=output is None)
                n_colors = choice.n_colors
            result = compress_image(image.pixels, n_colors, space=space, random_state=seed, n_threads=threads)
    finally:
        for warning in said:
            log.warning("warning: %s", warning)
    content = palette_bytes(result.palette, result.proportions, fmt, name=input.stem)
    if output is None:
        click.echo(content.decode(), nl=not content.endswith(b"\n"))
    else:
        write_atomically(output, lambda f: f.write(content), overwrite=decision.overwrite)
    if choice_plot is not None:
        picture = choice_plot_image(choice)
        write_atomically(choice_plot, lambda f: picture.save(f, format="PNG"), overwrite=decision.overwrite)
    if plot is not None:
        picture = pixel_cloud_plot(image.pixels, result, np.random.default_rng(seed))
        write_atomically(plot, lambda f: picture.save(f, format="PNG"), overwrite=decision.overwrite)
