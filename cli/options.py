"""Options shared by several commands, each with one meaning everywhere."""
import logging

import click

from quantize.features import SPACES
from quantize.io import DEFAULT_MAX_PIXELS


class Whole(click.IntRange):
    """click's IntRange, whose refusal of a word reads "'abc' is not a valid integer"
    (IntRange's says "integer range", which no user typed)."""
    name = "integer"


def space_option(default, why):
    """--space, with the default that measured best for the command's job."""
    return click.option("--space", type=click.Choice(SPACES), default=default, show_default=True,
                        help=f"Color space colors are compared in: oklab, lab (CIELAB) or rgb. {why}")


seed_option = click.option("--seed", type=int, default=0, show_default=True,
                           help="Random seed; the same seed gives the same output.")
threads_option = click.option("--threads", type=Whole(min=1), default=None,
                              help="Threads for the kernels [default: OMP_NUM_THREADS or all cores].")
skip_existing_option = click.option(
    "--skip-existing/--overwrite", "skip_existing", default=True, show_default=True,
    help="Skip an input when any of its outputs exists (a rerun resumes), or redo it and replace its "
         "outputs (never an input).")
max_pixels_option = click.option(
    "--max-pixels", type=Whole(min=1), default=None,
    help=f"Refuse images of more pixels than this [default: {DEFAULT_MAX_PIXELS}, Pillow's "
         "decompression-bomb limit]; raise it for larger images you trust.")
colors_option = click.option("-k", "--colors", "n_colors", type=Whole(1, 256), default=None,
                             help="Number of palette colors (1-256).")


class CandidatesType(click.ParamType):
    """--range FIRST:LAST, both included, within 1..256."""
    name = "FIRST:LAST"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        first, _, last = str(value).partition(":")
        if not (first.strip().isdigit() and last.strip().isdigit()) or not 1 <= int(first) < int(last) <= 256:
            self.fail(f"{value!r} is not FIRST:LAST with 1 <= FIRST < LAST <= 256 (e.g. 2:32)", param, ctx)
        return tuple(range(int(first), int(last) + 1))


def choose_options(function):
    """--choose and --range: pick the number of colors per image instead of -k."""
    function = click.option("--range", "candidates", type=CandidatesType(), default="2:32", show_default=True,
                            help="With --choose: the numbers of colors tried.")(function)
    return click.option("--choose", type=click.Choice(["elbow", "silhouette"]), default=None,
                        help="Pick the number of colors of each image instead of -k: the knee of the error "
                             "curve (elbow; photos) or the best mean silhouette (flat-color art).")(function)


def _verbose(ctx, param, value):
    if value:
        logging.getLogger().setLevel(logging.INFO if value == 1 else logging.DEBUG)


def _quiet(ctx, param, value):
    if value:
        logging.getLogger().setLevel(logging.ERROR)


def verbosity_options(function):
    """-v/-q after the command name too (``quantize compress photo.jpg -v``), with
    the meaning they have before it."""
    function = click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_quiet,
                            help="Only errors on stderr.")(function)
    return click.option("-v", "--verbose", count=True, expose_value=False, callback=_verbose,
                        help="More messages on stderr: each file done or skipped (repeat for debug).")(function)


def given(ctx, name):
    """Whether the user gave option ``name`` rather than leaving its default."""
    return ctx.get_parameter_source(name) not in (click.core.ParameterSource.DEFAULT, None)
