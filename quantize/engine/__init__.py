"""The weighted k-means engine: k-means++ seeding, Lloyd and mini-batch drivers, and
the nearest-center search they share, over the compiled kernels in ``quantize.kernels``."""
from .lloyd import KMeans
from .minibatch import MiniBatchKMeans
from .seeding import kmeans_plusplus

__all__ = ["KMeans", "MiniBatchKMeans", "kmeans_plusplus"]
