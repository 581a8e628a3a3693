"""Entry point of the ``quantize`` command."""
import click

from quantize import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="quantize")
def main():
    """Color quantization and segmentation on fast weighted k-means."""
