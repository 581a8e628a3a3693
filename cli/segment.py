"""``quantize segment``: cut the subject out of photos, or label color regions."""
import logging
from dataclasses import replace
from pathlib import Path

import click

from quantize.batch.outputs import OutputPlan, name_for, output_folder, place, require_png, without_own_outputs
from quantize.errors import QuantizeError, UsageError
from quantize.io import load_image, oriented_size
from quantize.segment.confidence import MIN_CONFIDENCE
from quantize.segment.cutout import SegmentSettings
from quantize.segment.foreground import EDGES, check_box

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
from .options import Whole, given, max_pixels_option, seed_option, space_option, threads_option, verbosity_options

log = logging.getLogger("quantize")


class BoxType(click.ParamType):
    name = "X,Y,W,H"

    def convert(self, value, param, ctx):
        try:
            x, y, width, height = (int(v) for v in str(value).split(","))
        except ValueError:
            self.fail(f"{value!r} is not four integers X,Y,W,H (left, top, width, height)", param, ctx)
        if width <= 0 or height <= 0:
            self.fail(f"{value!r}: width and height must be at least 1, got {width} and {height}", param, ctx)
        return x, y, width, height


class EdgesType(click.ParamType):
    name = "EDGE,..."

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        edges = tuple(e.strip() for e in str(value).split(",") if e.strip())
        unknown = [e for e in edges if e not in EDGES]
        if unknown:
            self.fail(f"{unknown[0]!r} is not an edge: use {','.join(EDGES)}", param, ctx)
        return edges


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--box", type=BoxType(), default=None,
              help="Rectangle around the subject: left,top,width,height in pixels. Outside is background; "
                   "parts beyond the image are clipped, and a box over the whole image counts as none.")
@click.option("--edges", type=EdgesType(), default=",".join(EDGES), show_default=True,
              help="Without --box: image edges whose frame is background; drop one the subject touches.")
@click.option("--mask", "mask_out", type=click.Path(path_type=str), default=None,
              help="Write the mask (PNG, 255 = foreground), or with --labels the label map.")
@click.option("--cutout", "cutout_out", type=click.Path(path_type=str), default=None,
              help="Write the subject on a transparent background (RGBA PNG).")
@click.option("--matting", is_flag=True,
              help="Soft edges: a fractional alpha in a band around the cut, following the image's edges "
                   "(a guided filter), and the subject's own colors there, so no rim of the old background; "
                   "--mask then holds the alpha (0-255).")
@click.option("--crop", is_flag=True, help="Crop the cutout to the subject.")
@click.option("--overlay", "overlay_out", type=click.Path(path_type=str), default=None,
              help="Write the photo with the background dimmed and the outline drawn (or the regions).")
@click.option("--fg-seeds", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Scribble image (same size): its non-black pixels are foreground. One input only.")
@click.option("--bg-seeds", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Scribble image (same size): its non-black pixels are background. One input only.")
@click.option("--keep", type=click.Choice(["all", "largest"]), default="all", show_default=True,
              help="Keep every foreground part or only the largest.")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=MIN_CONFIDENCE, show_default=True,
              help="Without --box or --fg-seeds: report a cut less sure than this (0-1: whether its own color "
                   "models explain it, and whether it is one part) as failed, 'no clear subject', and one "
                   "that cuts with the next two random seeds do not repeat; 0 keeps every cut.")
@click.option("--smoothness", type=click.FloatRange(min=0), default=None,
              help="Weight of the boundary term: higher gives smoother, simpler outlines. "
                   "[default: 30 with --box, 20 without]")
@click.option("--labels", "n_regions", type=Whole(1, 65535), default=None, metavar="N",
              help="Instead of a foreground cut: N k-means regions over color and position.")
@click.option("--spatial-weight", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="With --labels: 0 groups by color only; larger makes regions compact.")
@space_option("lab", "CIELAB measured best for the cut.")
@batch_options
@seed_option
@threads_option
@max_pixels_option
@verbosity_options
@click.pass_context
def segment(ctx, inputs, box, edges, mask_out, cutout_out, matting, crop, overlay_out, fg_seeds, bg_seeds, keep,
            min_confidence, smoothness, n_regions, spatial_weight, space, recursive, skip_existing, jobs, scheduler, report,
            seed, threads, max_pixels):
    """Separate the subject of each INPUT photo from its background.

    With no output option, writes NAME-mask.png and NAME-cutout.png beside each
    input. An output option names a file for one input, or a folder: then
    FOLDER/<sub-folders of the input folder>/NAME-mask.png (-cutout, -overlay).
    Existing outputs are skipped unless --overwrite. Exit 0 if every file succeeded, 1 if any
    failed (a cut refused as unsure included), 2 for a usage error (found before any work).

    \b
    Examples:
      quantize segment photo.jpg --box 40,30,200,180 --cutout subject.png
      quantize segment photo.jpg --edges top,left,right --mask mask.png --overlay check.png
      quantize segment a.jpg b.jpg --cutout out/ --crop
      quantize segment portrait.jpg --box 40,30,200,180 --matting --cutout soft.png
      quantize segment photo.jpg --labels 8 --spatial-weight 2 --overlay regions.png
    """
    if n_regions is not None:
        clashing = [option for option, value in (("--cutout", cutout_out), ("--box", box), ("--fg-seeds", fg_seeds),
                                                 ("--bg-seeds", bg_seeds), ("--crop", crop), ("--matting", matting),
                                                 ("--edges", given(ctx, "edges"))) if value]
        if clashing:
            raise click.UsageError(f"--labels makes a label map, which takes no {' or '.join(clashing)}: "
                                   "use it with --mask and --overlay only")
    if box is not None and given(ctx, "edges"):
        raise click.UsageError("--edges sets the background when there is no box; with --box, the background "
                               "is what lies outside the box")
    if n_regions is None and box is None and not edges and bg_seeds is None:
        raise click.BadParameter("no edge leaves nothing as background: give --box, an edge or --bg-seeds",
                                 param_hint="'--edges'")
    sources = sources_or_fail(inputs, recursive)
    if (fg_seeds or bg_seeds) and len(sources) > 1:
        raise click.UsageError("--fg-seeds/--bg-seeds belong to one image: give one input")
    outputs = (mask_out, cutout_out, overlay_out, n_regions)
    sources = with_warnings_logged(
        without_own_outputs, sources,
        lambda some: [list(targets.values()) for targets in _targets(inputs, some, *outputs)], earlier_outputs_beside)
    plan = OutputPlan([s.path for s in sources] + [p for p in (fg_seeds, bg_seeds) if p is not None],
                      overwrite=not skip_existing)
    plans = [{key: plan.claim(target, owner=source.path) for key, target in targets.items()}
             for source, targets in zip(sources, _targets(inputs, sources, *outputs))]
    for key, option in (("mask", mask_out), ("cutout", cutout_out), ("overlay", overlay_out)):
        require_png(plans[0].get(f"{key}_path") if option is not None else None, f"--{key}")
    report = claim_report(plan, report)
    settings = SegmentSettings(crop=crop, matting=matting, n_regions=n_regions, spatial_weight=spatial_weight, space=space,
                               random_state=seed, max_pixels=max_pixels)
    if n_regions is None:
        fg, bg = _seed_mask(fg_seeds, "--fg-seeds"), _seed_mask(bg_seeds, "--bg-seeds")
        if len(sources) == 1:  # a file of the wrong size is told as such first
            _check_fits(sources[0].path, box, (fg_seeds, fg), (bg_seeds, bg))
        for path, seeds, option in ((fg_seeds, fg, "--fg-seeds"), (bg_seeds, bg, "--bg-seeds")):
            _check_marks(path, seeds, option)
        if fg is not None and bg is not None and fg.shape == bg.shape and (fg & bg).any():
            raise UsageError(f"--fg-seeds and --bg-seeds overlap at {int((fg & bg).sum())} pixels: "
                             "a pixel cannot be both")
        settings = replace(settings, box=box, edges=edges, keep=keep, smoothness=smoothness, fg_seeds=fg,
                           bg_seeds=bg, min_confidence=min_confidence)
    tasks, settled = tasks_for("segment", sources, plans, settings, plan)
    runner = Runner(jobs, threads, scheduler)
    execute(tasks, settled, runner=runner, report=report, quiet=log.getEffectiveLevel() > logging.WARNING)


def _targets(inputs, sources, mask_out, cutout_out, overlay_out, n_regions):
    """Each source's outputs, by key: a file for one input, else NAME-KIND.png in
    the named folder; with no output option, a mask and a cutout beside it."""
    beside = mask_out is None and cutout_out is None and overlay_out is None
    wanted = {"mask_path": (mask_out, "mask" if n_regions is None else "labels"),
              "cutout_path": (cutout_out, "cutout"), "overlay_path": (overlay_out, "overlay")}
    if beside:  # a label map alone, or a mask and a cutout
        wanted = {"mask_path": wanted["mask_path"]} if n_regions is not None else \
            {"mask_path": wanted["mask_path"], "cutout_path": wanted["cutout_path"]}
    plans = [{} for _ in sources]
    for key, (option, kind) in wanted.items():
        if option is None and not beside:
            continue
        folder = output_folder(option, inputs, len(sources)) if option is not None else None
        for source, targets in zip(sources, plans):
            targets[key] = Path(option) if option is not None and folder is None else \
                place(source, folder, name_for(source, sources, f"-{kind}", "png"))
    return plans


def _check_fits(path, box, fg_seeds, bg_seeds):  # each seeds: (its file, its mask or None)
    """With one input, a box outside it or seeds of another size are usage errors,
    told from the file's header before any work."""
    try:
        rows, cols = oriented_size(path)
    except (OSError, ValueError):
        return  # not an image: it fails with its own reason
    if box is not None:
        try:
            check_box(box, (rows, cols))
        except QuantizeError as error:
            raise UsageError(f"{path}: {error}") from None
    for name, (seeds_path, seeds) in (("--fg-seeds", fg_seeds), ("--bg-seeds", bg_seeds)):
        if seeds is not None and seeds.shape != (rows, cols):
            raise UsageError(f"{name}: {seeds_path} is {seeds.shape[1]}x{seeds.shape[0]}, but {path} is "
                             f"{cols}x{rows}")


def _seed_mask(path, option):
    if path is None:
        return None
    try:
        seeds = load_image(path).pixels[:, :, :3].max(axis=2) > 0
    except QuantizeError as error:
        raise click.BadParameter(str(error), param_hint=f"'{option}'") from None
    return seeds


def _check_marks(path, seeds, option):
    """A blank or a full seeds file is likely the wrong one, and would leave nothing to decide."""
    if seeds is None:
        return
    if not seeds.any():
        raise click.BadParameter(f"{path}: marks no pixel (every pixel is black); seeds are the non-black pixels",
                                 param_hint=f"'{option}'")
    if seeds.all():
        raise click.BadParameter(f"{path}: marks every pixel (none is black); seeds are the non-black pixels, "
                                 "black is left to decide", param_hint=f"'{option}'")
