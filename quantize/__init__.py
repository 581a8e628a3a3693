"""quantize: image color quantization and segmentation on fast weighted k-means."""
from .codebook import Codebook
from .compress import CompressedImage, compress_image, compress_to_quality
from .regions import segment_regions
from .segment import segment_foreground
from .errors import FewDistinctPointsWarning, InputError, QuantizeError
from .io import load_image
from .lloyd import KMeans
from .minibatch import MiniBatchKMeans
from .seeding import kmeans_plusplus

__version__ = "0.1.0"

__all__ = [
    "Codebook",
    "CompressedImage",
    "compress_image",
    "compress_to_quality",
    "segment_foreground",
    "segment_regions",
    "load_image",
    "FewDistinctPointsWarning",
    "InputError",
    "KMeans",
    "MiniBatchKMeans",
    "QuantizeError",
    "kmeans_plusplus",
]
