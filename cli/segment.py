"""``quantize segment``: cut the subject out of photos, or label color regions."""
import logging
from pathlib import Path

import click

from quantize.cutout import segment_file
from quantize.errors import QuantizeError
from quantize.segment import EDGES

from .options import max_pixels_option, overwrite_option, seed_option, space_option, threads_option

log = logging.getLogger("quantize")


class BoxType(click.ParamType):
    name = "X,Y,W,H"

    def convert(self, value, param, ctx):
        try:
            x, y, width, height = (int(v) for v in str(value).split(","))
        except ValueError:
            self.fail(f"{value!r} is not four integers X,Y,W,H (left, top, width, height)", param, ctx)
        return x, y, width, height


def output_targets(inputs, option, suffix):
    """``--mask OUT`` etc.: a file for one input, else (or when OUT is a folder)
    ``NAME-SUFFIX.png`` inside the folder OUT."""
    if option is None:
        return [None] * len(inputs)
    if option.is_dir() or len(inputs) > 1:
        if not option.is_dir():
            raise click.BadParameter(f"{option} is not a folder; with several inputs outputs name folders")
        return [option / f"{path.stem}-{suffix}.png" for path in inputs]
    return [option]


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
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
@overwrite_option
@seed_option
@threads_option
@max_pixels_option
def segment(inputs, box, edges, mask_out, cutout_out, crop, overlay_out, fg_seeds, bg_seeds, keep,
            smoothness, n_regions, spatial_weight, space, overwrite, seed, threads, max_pixels):
    """Separate the subject of each INPUT photo from its background.

    With no output option, writes NAME-mask.png and NAME-cutout.png beside the input.

    \b
    Examples:
      quantize segment photo.jpg --box 40,30,200,180 --cutout subject.png
      quantize segment photo.jpg --edges top,left,right --mask mask.png --overlay check.png
      quantize segment a.jpg b.jpg --cutout out/ --crop
      quantize segment photo.jpg --labels 8 --spatial-weight 2 --overlay regions.png
    """
    if n_regions is not None and (cutout_out or box or fg_seeds or bg_seeds):
        raise click.UsageError("--labels makes a label map: use it with --mask and --overlay only")
    if (fg_seeds or bg_seeds) and len(inputs) > 1:
        raise click.UsageError("--fg-seeds/--bg-seeds belong to one image: give one input")
    if mask_out is None and cutout_out is None and overlay_out is None:
        mask_out = cutout_out = "beside"
    edge_list = tuple(e.strip() for e in edges.split(",") if e.strip())
    targets = {}
    for name, option, suffix in (("mask_path", mask_out, "mask" if n_regions is None else "labels"),
                                 ("cutout_path", cutout_out, "cutout"), ("overlay_path", overlay_out, "overlay")):
        if option == "beside":
            targets[name] = [path.with_name(f"{path.stem}-{suffix}.png") for path in inputs]
        else:
            targets[name] = output_targets(inputs, option, suffix)
    failed = 0
    for i, source in enumerate(inputs):
        paths = {name: targets[name][i] for name in targets}
        if any(p is not None and p.exists() and source.exists() and p.resolve() == source.resolve()
               for p in paths.values()):
            log.error("%s: an output would replace the input; choose another path", source)
            failed += 1
            continue
        options = {"space": space, "random_state": seed, "n_threads": threads}
        if n_regions is None:
            try:
                options.update(box=box, edges=edge_list, keep=keep, smoothness=smoothness,
                               fg_seeds=_seed_mask(fg_seeds), bg_seeds=_seed_mask(bg_seeds))
            except QuantizeError as error:
                raise click.BadParameter(str(error)) from None
        try:
            result = segment_file(source, n_regions=n_regions, spatial_weight=spatial_weight, crop=crop,
                                  overwrite=overwrite, max_pixels=max_pixels, **paths, **options)
        except QuantizeError as error:
            message = str(error)
            log.error("Error: %s", message if message.startswith(str(source)) else f"{source}: {message}")
            failed += 1
            continue
        if result.n_regions is None:
            log.info("%s: foreground %.1f%% of the image", source, 100 * result.foreground_fraction)
        else:
            log.info("%s: %d regions", source, result.n_regions)
    if failed:
        raise click.exceptions.Exit(1)


def _seed_mask(path):
    if path is None:
        return None
    from quantize.io import load_image
    return load_image(path).pixels[:, :, :3].max(axis=2) > 0
