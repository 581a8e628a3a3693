"""The quantize command line (installed as quantize.cli)."""
