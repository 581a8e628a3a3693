"""``quantize segment``: cut the subject out of photos, or label color regions."""
import logging
from pathlib import Path

import click

from quantize.errors import QuantizeError
from quantize.io import load_image
from quantize.segment import EDGES

from .batch import Runner, batch_options, build_tasks, execute, name_for, plan_or_fail, resolve_output_dir, sources_or_fail
from .options import max_pixels_option, seed_option, space_option, threads_option

log = logging.getLogger("quantize")


class BoxType(click.ParamType):
    name = "X,Y,W,H"

    def convert(self, value, param, ctx):
        try:
            x, y, width, height = (int(v) for v in str(value).split(","))
        except ValueError:
            self.fail(f"{value!r} is not four integers X,Y,W,H (left, top, width, height)", param, ctx)
        return x, y, width, height


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--box", type=BoxType(), default=None,
              help="Rectangle around the subject: left,top,width,height in pixels. Outside is background.")
@click.option("--edges", default=",".join(EDGES), show_default=True, metavar="EDGE,...",
              help="Without --box: image edges whose frame is background; drop one the subject touches.")
@click.option("--mask", "mask_out", type=click.Path(path_type=Path), default=None,
              help="Write the mask (PNG, 255 = foreground), or with --labels the label map.")
@click.option("--cutout", "cutout_out", type=click.Path(path_type=Path), default=None,
              help="Write the subject on a transparent background (RGBA PNG).")
@click.option("--crop", is_flag=True, help="Crop the cutout to the subject.")
@click.option("--overlay", "overlay_out", type=click.Path(path_type=Path), default=None,
              help="Write the photo with the background dimmed and the outline drawn (or the regions).")
@click.option("--fg-seeds", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Scribble image (same size): its non-black pixels are foreground. One input only.")
@click.option("--bg-seeds", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Scribble image (same size): its non-black pixels are background. One input only.")
@click.option("--keep", type=click.Choice(["all", "largest"]), default="all", show_default=True,
              help="Keep every foreground part or only the largest.")
@click.option("--smoothness", type=click.FloatRange(min=0), default=50.0, show_default=True,
              help="Weight of the boundary term: higher gives smoother, simpler outlines.")
@click.option("--labels", "n_regions", type=click.IntRange(min=1), default=None, metavar="N",
              help="Instead of a foreground cut: N k-means regions over color and position.")
@click.option("--spatial-weight", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="With --labels: 0 groups by color only; larger makes regions compact.")
@space_option
@batch_options
@seed_option
@threads_option
@max_pixels_option
def segment(inputs, box, edges, mask_out, cutout_out, crop, overlay_out, fg_seeds, bg_seeds, keep,
            smoothness, n_regions, spatial_weight, space, recursive, skip_existing, jobs, scheduler, report,
            seed, threads, max_pixels):
    """Separate the subject of each INPUT photo from its background.

    With no output option, writes NAME-mask.png and NAME-cutout.png beside each
    input. An output option names a file for one input, or a folder: then
    FOLDER/<sub-folders of the input folder>/NAME-mask.png (-cutout, -overlay).
    Existing outputs are skipped unless --overwrite. Exit 1 if any file failed.

    \b
    Examples:
      quantize segment photo.jpg --box 40,30,200,180 --cutout subject.png
      quantize segment photo.jpg --edges top,left,right --mask mask.png --overlay check.png
      quantize segment a.jpg b.jpg --cutout out/ --crop
      quantize segment photo.jpg --labels 8 --spatial-weight 2 --overlay regions.png
    """
    if n_regions is not None and (cutout_out or box or fg_seeds or bg_seeds):
        raise click.UsageError("--labels makes a label map: use it with --mask and --overlay only")
    sources = sources_or_fail(inputs, recursive)
    if (fg_seeds or bg_seeds) and len(sources) > 1:
        raise click.UsageError("--fg-seeds/--bg-seeds belong to one image: give one input")
    beside = mask_out is None and cutout_out is None and overlay_out is None
    # With no output option: a mask and a cutout beside each input (Path(".") marks "wanted").
    wanted = {"mask_path": (Path(".") if beside else mask_out, "mask" if n_regions is None else "labels"),
              "cutout_path": (Path(".") if beside else cutout_out, "cutout"),
              "overlay_path": (overlay_out, "overlay")}
    wanted = {key: value for key, value in wanted.items() if value[0] is not None}
    plans = [{} for _ in sources]
    for key, (option, suffix) in wanted.items():
        folder = None if beside else resolve_output_dir(inputs, option, sources)
        if not beside and folder is None:
            plan = [{key: option}]
        else:
            plan = plan_or_fail(sources, folder, lambda s: {key: name_for(s, sources, f"-{suffix}", "png")})
        for targets, target in zip(plans, plan):
            targets.update(target)
    options = {"space": space, "random_state": seed, "max_pixels": max_pixels, "crop": crop,
               "n_regions": n_regions, "spatial_weight": spatial_weight}
    if n_regions is None:
        try:
            options.update(box=box, edges=tuple(e.strip() for e in edges.split(",") if e.strip()), keep=keep,
                           smoothness=smoothness, fg_seeds=_seed_mask(fg_seeds), bg_seeds=_seed_mask(bg_seeds))
        except QuantizeError as error:
            raise click.BadParameter(str(error)) from None
    runner = Runner(jobs, threads, scheduler)
    tasks, settled = build_tasks("segment", sources, plans, options, skip_existing)
    execute(tasks, settled, runner=runner, report=report, quiet=log.getEffectiveLevel() > logging.WARNING)


def _seed_mask(path):
    if path is None:
        return None
    return load_image(path).pixels[:, :, :3].max(axis=2) > 0
