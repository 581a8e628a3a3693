"""Entry point of the ``quantize`` command: the group, logging, and the one place
where library errors and warnings become messages.

Exit codes: 0 success, 1 a runtime error or a failed input file, 2 a usage error.
"""
import logging
import sys
import warnings

import click

from quantize import __version__
from quantize.errors import QuantizeError, UsageError

from .compress import compress
from .palette import palette
from .segment import segment


log = logging.getLogger("quantize")


class OneLineUsageError(click.UsageError):
    """A usage error shown as one line, ``Error: ...`` (exit 2), without click's
    usage block: the message already says what to change."""

    def show(self, file=None):
        hint = f" (see '{self.ctx.command_path} --help')" if self.ctx is not None and self.cmd is not None else ""
        click.echo(f"Error: {_one_line(self.format_message())}{hint}", file=file or sys.stderr, err=True)


class QuantizeGroup(click.Group):
    """Turns every library error, and click's own usage errors, into one line on
    stderr: a usage error exits 2, any other error 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UsageError as error:
            raise OneLineUsageError(_one_line(error)) from None
        except QuantizeError as error:
            raise click.ClickException(_one_line(error)) from None
        except click.UsageError as error:
            if isinstance(error, OneLineUsageError):
                raise
            raise OneLineUsageError(error.format_message(), error.ctx) from None


def _one_line(message):
    return " ".join(str(message).split())


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """A warning the library issues outside a file's task: one line, no source path."""
    log.warning("warning: %s", _one_line(message))


@click.group(cls=QuantizeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="quantize")
@click.option("-v", "--verbose", count=True, help="More messages on stderr (repeat for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
def cli(verbose, quiet):
    """Color quantization and segmentation on fast weighted k-means."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr, force=True)
    # -vv is our debugging, not Pillow's: its decoders log every PNG chunk at DEBUG.
    logging.getLogger("PIL").setLevel(logging.INFO)
    warnings.showwarning = _show_warning


cli.add_command(compress)
cli.add_command(palette)
cli.add_command(segment)


if __name__ == "__main__":
    cli()
