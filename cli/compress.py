"""``quantize compress``: reduce images to N colors, written as indexed PNG or GIF."""
import logging
import math
import os
from pathlib import Path

import click

from quantize.batch.outputs import (
    OutputPlan,
    make_folder_for,
    name_for,
    output_folder,
    place,
    require_png,
    without_own_outputs,
)
from quantize.compress.files import CompressSettings
from quantize.compress.formats import LOSSY_EXTENSIONS, OUTPUT_FORMATS, extension_of, format_of
from quantize.compress.remap import DITHER_STRENGTH
from quantize.compress.shared import learn_shared_palette
from quantize.errors import QuantizeError, UsageError
from quantize.palette import FORMATS as PALETTE_FORMATS
from quantize.palette import palette_bytes, parse_color, read_palette, write_palette

from .batch import (
    Runner,
    batch_options,
    claim_report,
    earlier_outputs_beside,
    execute,
    sources_or_fail,
    tasks_for,
    with_warnings_logged,
)
from .options import (
    Whole,
    choose_options,
    colors_option,
    given,
    max_pixels_option,
    seed_option,
    space_option,
    threads_option,
    verbosity_options,
)

log = logging.getLogger("quantize")


class StrengthType(click.ParamType):
    """--dither's optional value: a number from 0 to 1. Click reads the word after
    --dither as its value when it is not an option, so say what to do when that
    word was meant as an input."""
    name = "STRENGTH"

    def convert(self, value, param, ctx):
        try:
            strength = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a strength from 0 to 1 (an input? write --dither=0.8, or put "
                      "--dither after the inputs)", param, ctx)
        if not 0 <= strength <= 1:  # also refuses nan
            self.fail(f"{value!r} is not a strength from 0 to 1", param, ctx)
        return strength


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@colors_option
@click.option("-o", "--output", type=click.Path(path_type=str), default=None,
              help="Output file (one input) or folder, mirroring folder inputs "
                   "[default: NAME-quantized.png beside each input].")
@click.option("--format", "--ext", "fmt", type=click.Choice(list(OUTPUT_FORMATS)), default=None,
              help="Output format and extension [default: from -o's extension, else png]. "
                   "WebP is written lossless; JPEG cannot keep N colors.")
@click.option("--suffix", default=None,
              help="Added to each output's stem [default: '-quantized' beside the input, '' in -o DIR].")
@click.option("--in-place", is_flag=True,
              help="Replace each input with its quantized version (same format; not JPEG).")
@click.option("--shared-palette", is_flag=True,
              help="Learn one palette of -k colors over all inputs (pooled pixel samples) and use it for each.")
@click.option("--per-frame-palette", is_flag=True,
              help="Animations: fit a palette to each frame instead of one for all frames.")
@click.option("--save-palette", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --shared-palette: also write the palette (.json, .csv, .gpl or .png).")
@space_option("oklab", "OKLab scored highest with SSIMULACRA2 and butteraugli; rgb gives the best PSNR.")
@click.option("--dither", type=StrengthType(), is_flag=False, flag_value=DITHER_STRENGTH, default=0.0,
              metavar="[STRENGTH]", help=f"Floyd-Steinberg error diffusion, STRENGTH 0-1 of each pixel's error "
                                         f"passed on [--dither alone: {DITHER_STRENGTH}, measured best].")
@click.option("--quality", type=click.FloatRange(min=0, max=100, min_open=True), default=None, metavar="PSNR",
              help="Use the fewest colors (up to --max-colors) that reach this PSNR in dB.")
@click.option("--delta-e", type=click.FloatRange(min=0, min_open=True), default=None, metavar="DE",
              help="Use the fewest colors (up to --max-colors) whose mean CIEDE2000 against the input is "
                   "at most DE (about 1: barely visible; 2-3: a close match at a glance).")
@choose_options
@click.option("--max-colors", type=Whole(1, 256), default=256, show_default=True,
              help="Upper bound on colors for --quality and --delta-e.")
@click.option("--palette", "palette_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Remap to this palette (JSON, GIMP .gpl, hex list, a swatch or an indexed "
                                 "image) instead of learning one.")
@click.option("--lock", "locked", multiple=True, metavar="#RRGGBB",
              help="A color the palette must keep (repeatable); the rest are learned.")
@click.option("--optimize", is_flag=True,
              help="PNG: recompress with oxipng: the same image in 8-13% fewer bytes (2-22% per photo), "
                   "for 3-11x the encoding time.")
@click.option("--compare", type=click.Path(path_type=Path), default=None,
              help="Also write a before/after picture (PNG); one input only.")
@batch_options
@seed_option
@threads_option
@max_pixels_option
@verbosity_options
@click.pass_context
def compress(ctx, inputs, n_colors, output, fmt, suffix, in_place, shared_palette, per_frame_palette, save_palette, space, dither,
             quality, delta_e, choose, candidates, max_colors, palette_file, locked, optimize, compare, recursive, skip_existing, jobs, scheduler,
             report, seed, threads, max_pixels):
    """Reduce each INPUT image (or animation) to N colors: an indexed PNG by default,
    or GIF, WebP (lossless), TIFF or BMP.

    \b
    Examples:
      quantize compress photo.jpg -k 64
      quantize compress photo.jpg -k 16 --dither -o small.png
      quantize compress a.jpg b.png -k 32 -o out/
      quantize compress photo.jpg --quality 32 --max-colors 128 -o q32.png
      quantize compress photo.jpg --delta-e 2.5 -o close.png
      quantize compress photo.jpg --choose elbow -o auto.png
      quantize compress photo.jpg --palette brand.gpl -o brand.png
      quantize compress photos/ -r -k 64 -o small/ --jobs 2 --report report.csv
      quantize compress 'shots/*.jpg' -k 32 --shared-palette --save-palette set.gpl -o out/

    Outputs: with -o DIR, DIR/<sub-folders of the input folder>/STEM.EXT; without
    -o, STEM-quantized.EXT beside each input. An input is never written over
    (unless --in-place). Existing outputs are skipped (a rerun resumes; -v names
    them) unless --overwrite. Exit 0 if every file succeeded, 1 if any failed, 2
    for a usage error (found before any work).
    """
    _check_combinations(ctx, n_colors, fmt, suffix, in_place, shared_palette, per_frame_palette, save_palette,
                        quality, palette_file, locked, output, delta_e, choose)
    try:
        palette = read_palette(palette_file) if palette_file else None
    except QuantizeError as error:
        raise click.BadParameter(str(error), param_hint="'--palette'") from None
    try:
        lock = list({parse_color(c).tobytes(): parse_color(c) for c in locked}.values()) or None
    except QuantizeError as error:
        raise click.BadParameter(str(error), param_hint="'--lock'") from None
    if lock and n_colors is not None and len(lock) > n_colors:
        raise click.BadParameter(f"{len(lock)} locked colors do not fit in {n_colors}; "
                                 "raise -k", param_hint="'--lock'")
    sources = sources_or_fail(inputs, recursive)
    if compare is not None and len(sources) > 1:
        raise click.UsageError("--compare takes one input")
    plan, sources, plans, fmt = _plan_targets(inputs, sources, output, fmt, suffix, in_place, not skip_existing,
                                              [palette_file] if palette_file else [])
    if optimize:
        _check_optimizable(sources, fmt, in_place)
    if compare is not None:
        plans[0]["compare_path"] = require_png(plan.claim(compare, owner=sources[0].path), "--compare")
    report = claim_report(plan, report)
    if save_palette is not None:
        plan.claim(save_palette)
        if save_palette.suffix.lstrip(".").lower() not in PALETTE_FORMATS:
            raise UsageError(f"{save_palette}: a palette is saved as {', '.join(PALETTE_FORMATS)}; name it so")
    settings = CompressSettings(n_colors=n_colors, quality=quality, max_colors=max_colors, palette=palette,
                                choose=choose, candidates=candidates, delta_e=delta_e, locked_colors=lock, space=space, dither=dither,
                                per_frame_palette=per_frame_palette, optimize=optimize,
                                fmt=None if in_place else fmt or "png", random_state=seed, max_pixels=max_pixels)
    tasks, settled = tasks_for("compress", sources, plans, settings, plan)
    runner = Runner(jobs, threads, scheduler)
    if shared_palette and (tasks or save_palette is not None):
        with runner.executor(n_tasks=len(sources)) as executor:
            palette, proportions = learn_shared_palette([s.path for s in sources], n_colors, space=space,
                                                        random_state=seed, max_pixels=max_pixels,
                                                        executor=executor)
        tasks = [task.with_settings(palette=palette) for task in tasks]
        if save_palette is not None:
            _save_shared_palette(palette, proportions, save_palette, plan, n_kept=len(settled))
    execute(tasks, settled, runner=runner, report=report, quiet=log.getEffectiveLevel() > logging.WARNING)


def _check_combinations(ctx, n_colors, fmt, suffix, in_place, shared_palette, per_frame_palette, save_palette,
                        quality, palette_file, locked, output, delta_e, choose):
    """Usage errors of option combinations, before any file is read."""
    if shared_palette and (n_colors is None or palette_file or quality is not None):
        raise click.UsageError("--shared-palette learns -k colors: give -k, not --palette or --quality")
    if choose is None and given(ctx, "candidates"):
        raise click.UsageError("--range goes with --choose")
    chosen = [n_colors is not None and not shared_palette, quality is not None,
              palette_file is not None or shared_palette, delta_e is not None, choose is not None]
    if sum(chosen) != 1:
        raise click.UsageError("give exactly one of -k/--colors, --quality, --delta-e, --choose or --palette")
    if locked and (choose or delta_e is not None or quality is not None):
        raise click.UsageError("--lock goes with -k: a chosen number of colors may not leave room for them")
    if per_frame_palette and (palette_file or shared_palette):
        raise click.UsageError("--per-frame-palette fits each frame; --palette and --shared-palette give one")
    if quality is not None and not math.isfinite(quality):
        raise click.BadParameter(f"{quality} is not a number of dB", param_hint="'--quality'")
    if save_palette and not shared_palette:
        raise click.UsageError("--save-palette goes with --shared-palette")
    if in_place and (output is not None or fmt is not None or suffix is not None):
        raise click.UsageError("--in-place writes each input in its own format and name: leave out -o, "
                               "--format and --suffix")
    if suffix is not None and ("/" in suffix or os.sep in suffix):
        raise click.BadParameter(f"{suffix!r} holds a folder separator; a suffix is added to a file name",
                                 param_hint="'--suffix'")
    if locked and palette_file is not None:
        raise click.UsageError("--lock keeps colors in a learned palette; with --palette, add them to the file")
    if quality is None and delta_e is None and given(ctx, "max_colors"):
        raise click.UsageError("--max-colors bounds --quality and --delta-e; with -k the number of colors is -k")


def _plan_targets(inputs, sources, output, fmt, suffix, in_place, overwrite, other_inputs):
    """The output plan; the sources, less this run's own outputs found beside
    them; each one's {"target": path}, claimed; and the output format."""
    folder = output_folder(output, inputs, len(sources))
    output = Path(output) if output is not None else None
    if not in_place and (output is None or folder is not None):
        suffix = suffix if suffix is not None else ("" if folder is not None else "-quantized")
        ext = extension_of(fmt or "png")

        def targets_of(some):
            return [place(s, folder, name_for(s, some, suffix, ext)) for s in some]
        sources = with_warnings_logged(without_own_outputs, sources, lambda some: [[t] for t in targets_of(some)],
                                       earlier_outputs_beside)
    plan = OutputPlan([s.path for s in sources] + other_inputs, overwrite=overwrite, in_place=in_place)
    if in_place:
        # A symlinked input is replaced where it lives: the link stays a link.
        plans = [{"target": plan.claim(Path(os.path.realpath(s.path)), owner=s.path)} for s in sources]
        for source in sources:
            format_of(source.path)  # each file keeps its format: not JPEG
    elif output is not None and folder is None:  # -o FILE
        plans = [{"target": plan.claim(output, owner=sources[0].path, hint=_in_place_hint(sources[0].path))}]
        named = format_of(output)
        if fmt is not None and fmt != named:
            raise UsageError(f"{output}: the extension says {named}, --format says {fmt}; make them agree")
        fmt = named
    else:
        plans = [{"target": plan.claim(target, owner=s.path, hint=_in_place_hint(s.path))}
                 for s, target in zip(sources, targets_of(sources))]
    return plan, sources, plans, fmt


def _check_optimizable(sources, fmt, in_place):
    """--optimize is for PNG outputs: a usage error for any other, before any work."""
    for source in sources:
        written = format_of(source.path) if in_place else fmt or "png"
        if written != "png":
            where = f"{source.path} is written in place as {written}" if in_place else f"the output is {written}"
            raise UsageError(f"--optimize recompresses PNG files; {where}")


def _in_place_hint(source):
    """The end of a refusal to write over ``source``: --in-place, where it would work."""
    return "" if Path(source).suffix.lower().lstrip(".") in LOSSY_EXTENSIONS else " or pass --in-place"


def _save_shared_palette(palette, proportions, path, plan, n_kept):
    """Write the shared palette, by the one output rule; an existing file kept
    because of it is named when it holds another palette than this run used. ``n_kept``
    outputs existed and were skipped: made by an earlier run, they may use another palette."""
    decision = plan.decide("the shared palette", [path])
    if decision.action == "run":
        write_palette(palette, proportions, make_folder_for(path), overwrite=decision.overwrite)
        if n_kept:
            outputs = "output that existed was" if n_kept == 1 else "outputs that existed were"
            log.warning("warning: %s holds this run's palette; %d %s kept as an earlier run made them, "
                        "maybe with another (--overwrite to redo them)", path, n_kept, outputs)
    elif palette_bytes(palette, proportions, path.suffix.lstrip(".").lower(), name=path.stem) != path.read_bytes():
        log.warning("warning: %s exists and holds another palette than this run's; kept (--overwrite to "
                    "replace it)", path)
    else:
        log.info("%s", decision.message)
