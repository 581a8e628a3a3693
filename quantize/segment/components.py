"""Connected parts of a mask, labelled and counted for photos of millions of pixels."""
import numpy as np

from .. import kernels


def label_parts(mask, connectivity=2):
    """(labels, sizes) of the connected parts of an (M, N) bool ``mask``: ``labels``
    (M, N) int32, 0 outside the mask and 1 .. n on its parts (8-connected with
    ``connectivity`` 2, 4-connected with 1); ``sizes`` (n + 1,) int64, the pixels of
    each label, 0 for label 0.

    int32 labels and a counting kernel: scikit-image's int64 labels took 144 MB on
    18 MP (the peak of a segment run) and np.bincount's int64 copy of them 0.3 s.
    """
    from scipy import ndimage  # loaded when a cut is cleaned, not with the CLI

    mask = np.ascontiguousarray(mask, dtype=bool)
    structure = np.ones((3, 3), bool) if connectivity == 2 else None  # None: scipy's 4-connected cross
    labels, n_labels = ndimage.label(mask, structure=structure, output=np.int32)
    sizes = np.zeros(n_labels + 1, dtype=np.int64)
    kernels.histogram.counts_in_region(labels.ravel(), mask.ravel(), sizes)
    return labels, sizes
