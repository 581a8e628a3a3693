"""quantize: image color quantization and segmentation on fast weighted k-means."""
from .errors import FewDistinctPointsWarning, InputError, QuantizeError
from .lloyd import KMeans
from .minibatch import MiniBatchKMeans
from .seeding import kmeans_plusplus

__version__ = "0.1.0"

__all__ = [
    "FewDistinctPointsWarning",
    "InputError",
    "KMeans",
    "MiniBatchKMeans",
    "QuantizeError",
    "kmeans_plusplus",
]
