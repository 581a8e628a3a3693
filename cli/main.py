"""Entry point of the ``quantize`` command: the group, logging, and error translation.

Exit codes: 0 success, 1 a runtime error or a failed input file, 2 a usage error.
"""
import logging
import sys

import click

from quantize import __version__
from quantize.errors import QuantizeError

from .compress import compress
from .palette import palette
from .segment import segment


class QuantizeGroup(click.Group):
    """Turns every library error into one line on stderr and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except QuantizeError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=QuantizeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="quantize")
@click.option("-v", "--verbose", count=True, help="More messages on stderr (repeat for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
def cli(verbose, quiet):
    """Color quantization and segmentation on fast weighted k-means."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr, force=True)
    logging.captureWarnings(True)


cli.add_command(compress)
cli.add_command(palette)
cli.add_command(segment)


if __name__ == "__main__":
    cli()
