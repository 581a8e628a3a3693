"""Unique colors with counts: the weighted point cloud k-means runs on.

A photo of 18 million pixels holds far fewer distinct colors; clustering those,
with their counts as ``sample_weight``, gives exactly the result of clustering
every pixel. ``inverse`` maps each pixel back to its color, to expand labels.
Coarser bins (the top bits of each channel) give a smaller cloud for seeding
and for the first iterations.
"""
import threading
from dataclasses import dataclass

import numpy as np

from . import kernels
from ._parallel import threads_for

_TABLE_SIZE = 1 << 24  # one slot per 8-bit RGB color
# Above this many pixels, count and then scan the whole table (16 M slots, ~10 ms)
# for the colors; below, one pass that lists colors as it meets them is faster than
# the scan.
PARALLEL_PIXELS = 1 << 22
_TABLE = None  # 64 MB of int32 counts, allocated on first use and kept zero
_TABLE_LOCK = threading.Lock()


@dataclass(frozen=True)
class ColorHistogram:
    """colors (n_colors, C) uint8; counts (n_colors,) int64; inverse (n_pixels,) int32."""
    colors: np.ndarray
    counts: np.ndarray
    inverse: np.ndarray


def color_histogram(pixels, n_threads, *, release_table=False):
    """Histogram of an (M, N, 3|4) uint8 image.

    RGB colors are listed bin by bin (bins of 32 x 32 x 32 levels), so colors next
    to each other in the list are close: the nearest-center search starts from the
    previous color's center, and on a photo at k = 256 this order made it right
    twice as often as first-appearance order, and the search 1.8x faster.

    ``release_table``: give the 64 MB count table back afterwards, for a caller
    that goes on working on a large image in little memory (the next histogram
    makes it again, in about 10 ms: 4% of compressing a 4 MP photo, so compress
    keeps it).
    """
    # The kernels take C-contiguous rows: an RGB view of RGBA pixels is strided.
    flat = np.ascontiguousarray(pixels.reshape(-1, pixels.shape[2]))
    if flat.shape[1] == 4:
        return _rgba_histogram(flat)
    with _TABLE_LOCK:  # one shared table; kernels run without the GIL
        table = _count_table()
        try:
            codes, counts, inverse = _count(flat, table, n_threads)
        except BaseException:
            # Interrupted before the listed slots were known: zero the whole table
            # (10 ms), or every later histogram in this process would be wrong.
            table.fill(0)
            raise
        kernels.histogram.clear_listed(table, codes)
        if release_table:
            _release_table()
    return ColorHistogram(colors_of_codes(codes), counts.astype(np.int64), inverse)


def _count(flat, table, n_threads):
    """Count ``flat``'s colors in ``table``: (codes bin by bin, counts, inverse).
    Leaves the listed colors' slots set; the caller clears them."""
    codes = np.empty(min(len(flat), _TABLE_SIZE), dtype=np.int32)
    if len(flat) < PARALLEL_PIXELS:
        n_colors = kernels.histogram.collect_colors(flat, table, codes)
    else:
        kernels.histogram.count_colors(flat, table)
        n_colors = kernels.histogram.list_colors(table, codes)
    codes = codes[:n_colors]
    codes = codes[np.argsort(_bin_key(codes), kind="stable")]
    counts = np.empty(n_colors, dtype=np.int32)
    inverse = np.empty(len(flat), dtype=np.int32)
    kernels.histogram.index_listed(table, codes, counts)
    kernels.histogram.inverse_index(flat, table, inverse, n_threads)
    return codes, counts, inverse


def color_codes(colors):
    """24-bit code ``r << 16 | g << 8 | b`` of each (n, 3) uint8 color."""
    colors = colors.astype(np.int64)
    return (colors[:, 0] << 16) | (colors[:, 1] << 8) | colors[:, 2]


@dataclass(frozen=True)
class DistinctRows:
    """rows (n_distinct, n_features), X's dtype; weights (n_distinct,) float64, the
    summed sample weights of each; inverse (n_rows,) int32, each row's distinct row."""
    rows: np.ndarray
    weights: np.ndarray
    inverse: np.ndarray


# Grouping equal rows pays when it leaves at most this share of them: measured on
# pixel clouds, one pass costs about what a Lloyd iteration over them saves.
MAX_DISTINCT_SHARE = 0.75
MIN_GROUPED_ROWS = 4096  # below, a fit is too quick for the pass to pay


def distinct_rows(X, sample_weight, n_threads):
    """Equal rows of a validated C-contiguous float X grouped, their weights summed:
    a DistinctRows, or None when they are too few to pay.

    Pixel clouds repeat: 4 MP photos hold 15-20 times fewer distinct colors than
    pixels, 18 MP ones 40 times. Rows are equal when their bytes are (so -0.0 and
    0.0 stay apart, which costs nothing but a row). Weighted k-means on the
    distinct rows is k-means on all of them: integer weights equal repeated rows.
    """
    n = X.shape[0]
    if n < MIN_GROUPED_ROWS:
        return None
    words = X.view(np.uint32)  # float32 rows: one word per feature; float64: two
    hashes = np.empty(n, dtype=np.uint32)
    kernels.histogram.row_hashes(words, hashes, threads_for(n, n_threads))
    max_distinct = int(n * MAX_DISTINCT_SHARE)
    rows = np.empty((max_distinct, words.shape[1]), dtype=np.uint32)  # pages untouched stay free
    row_hashes = np.empty(max_distinct, dtype=np.uint32)
    inverse = np.empty(n, dtype=np.int32)
    n_distinct = kernels.histogram.distinct_rows(words, hashes, rows, row_hashes, inverse, max_distinct)
    if n_distinct < 0:
        return None
    weights = np.bincount(inverse, weights=sample_weight, minlength=n_distinct)
    return DistinctRows(rows[:n_distinct].copy().view(X.dtype), weights, inverse)


def colors_of_codes(codes):
    """(n, 3) uint8 colors of 24-bit codes."""
    return np.stack([codes >> 16, (codes >> 8) & 255, codes & 255], axis=1).astype(np.uint8)


def _bin_key(codes):
    """15-bit key of each 24-bit color code: its top 5 bits of r, g and b."""
    return (((codes >> 9) & 0x7C00) | ((codes >> 6) & 0x03E0) | ((codes >> 3) & 0x001F)).astype(np.int16)


def _release_table():
    global _TABLE
    _TABLE = None


def _count_table():
    global _TABLE
    if _TABLE is None:
        _TABLE = np.zeros(_TABLE_SIZE, dtype=np.int32)
        _TABLE.fill(0)  # touch every page now, in order: random first touches cost 0.2 s
    return _TABLE


def _rgba_histogram(flat):
    # Four channels do not fit the 2**24 table; RGBA images are rarer, so sort.
    codes = flat.astype(np.uint32)
    codes = (codes[:, 0] << 24) | (codes[:, 1] << 16) | (codes[:, 2] << 8) | codes[:, 3]
    unique, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
    colors = np.stack([unique >> 24, (unique >> 16) & 255, (unique >> 8) & 255, unique & 255],
                      axis=1).astype(np.uint8)
    return ColorHistogram(colors, counts.astype(np.int64), inverse.astype(np.int32).ravel())


def bin_colors(colors, features, weights, bits):
    """Merge colors that share the top ``bits`` bits of every channel.

    Returns (bin features: weighted mean of the members, bin weights, bin of each color).
    """
    n_possible = 1 << (bits * colors.shape[1])
    n_at_most = min(len(colors), n_possible)
    bin_of_color = np.empty(len(colors), dtype=np.int32)
    bin_weights = np.zeros(n_at_most)
    bin_features = np.zeros((n_at_most, features.shape[1]))
    # A table over all possible bins, not np.unique: no sort of a million codes.
    n_bins = kernels.histogram.bin_sums(np.ascontiguousarray(colors), bits, np.ascontiguousarray(features),
                                        np.asarray(weights, dtype=np.float64), np.zeros(n_possible, dtype=np.int32),
                                        bin_of_color, bin_weights, bin_features)
    bin_weights, bin_features = bin_weights[:n_bins], bin_features[:n_bins]
    positive = bin_weights > 0
    bin_features[positive] /= bin_weights[positive, None]
    return bin_features, bin_weights, bin_of_color
