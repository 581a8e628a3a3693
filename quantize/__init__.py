"""quantize: image color quantization and segmentation on fast weighted k-means."""
from .codebook import Codebook
from .compress import CompressedImage, choose_n_colors, compress_image, compress_to_quality
from .engine import KMeans, MiniBatchKMeans, kmeans_plusplus
from .errors import FewDistinctPointsWarning, InputError, QuantizeError
from .io import load_image
from .segment import matte_edges, segment_foreground, segment_regions

__version__ = "0.1.0"

__all__ = [
    "Codebook",
    "CompressedImage",
    "compress_image",
    "compress_to_quality",
    "choose_n_colors",
    "segment_foreground",
    "segment_regions",
    "matte_edges",
    "load_image",
    "FewDistinctPointsWarning",
    "InputError",
    "KMeans",
    "MiniBatchKMeans",
    "QuantizeError",
    "kmeans_plusplus",
]
