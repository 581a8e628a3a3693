"""Options shared by several commands, each with one meaning everywhere."""
import click

from quantize.features import SPACES

space_option = click.option(
    "--space", type=click.Choice(SPACES), default="lab", show_default=True,
    help="Color space colors are compared in: lab (perceptual), oklab, or rgb (best PSNR).")
seed_option = click.option("--seed", type=int, default=0, show_default=True,
                           help="Random seed; the same seed gives the same output.")
threads_option = click.option("--threads", type=click.IntRange(min=1), default=None,
                              help="Threads for the kernels [default: OMP_NUM_THREADS or all cores].")
overwrite_option = click.option("--overwrite", is_flag=True,
                                help="Replace existing output files (never an input file).")
max_pixels_option = click.option(
    "--max-pixels", type=click.IntRange(min=1), default=None,
    help="Accept images larger than Pillow's decompression-bomb limit (about 89 MP).")
colors_option = click.option("-k", "--colors", "n_colors", type=click.IntRange(1, 256), default=None,
                             help="Number of palette colors (1-256).")
