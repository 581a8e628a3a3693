"""Compress images to N colors: fit a palette (``fit``), map pixels to it (``remap``),
and write the result (``result``, ``formats``); ``pipeline`` joins them for one image,
``animation`` for every frame, ``shared`` for a set of files, ``files`` for one file;
``choose`` finds how many colors an image needs."""
from .animation import CompressedAnimation, compress_animation
from .choose import ColorCountChoice, choose_n_colors
from .fit import fit_palette
from .formats import optimize_png
from .pipeline import compress_image, compress_to_quality
from .result import CompressedImage
from .shared import learn_shared_palette

__all__ = ["ColorCountChoice", "CompressedAnimation", "CompressedImage", "choose_n_colors", "compress_animation",
           "compress_image", "compress_to_quality", "fit_palette", "learn_shared_palette", "optimize_png"]
