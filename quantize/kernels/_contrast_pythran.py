"""Pythran kernels for segmentation's grids: block sums for a downscaled image, and
the graph cut's contrast term on a color-indexed image.

Plain Python compiled by Pythran (OpenMP); the tests also import it uncompiled.
The image is an (M, N) index into a table of color features, so no (M, N, F)
feature image is ever made: on an 18 MP photo that gather (and its float64
squared differences, one (M, N) array per direction) took 2.3 s and 144 MB.
A pair is a pixel (r, c) and its neighbour (r + d_row, c + d_col); a pair's
squared difference sums the features in order, (0 + d0^2) + d1^2 + ..., as the
NumPy code of quantize.segment.graphcut does.

Compiled, each exported kernel runs with the GIL released (Pythran's generated
wrapper releases it around the call), so Python threads can run kernels at once.
"""

#pythran export block_sums(uint8[:,:,:], int, int64[:,:,:], int)
#pythran export pair_sqdist_totals(int32[:,:], float64[:,:], int, int, float64[:], int)
#pythran export touching_pair_sqdist(int32[:,:], float64[:,:], int, int, bool[:,:], int64[:], float64[:], int)


def block_sums(pixels, factor, sums, n_threads):
    """``sums[i, j]``: the sum of ``pixels`` (M, N, C) uint8 over the block of rows
    i * factor up to (i + 1) * factor and columns likewise, cut by the image's edge;
    ``sums`` (ceil(M / factor), ceil(N / factor), C) int64 must be zero on entry.
    Parallel over rows of blocks: each thread writes its own rows of ``sums``."""
    n_rows, n_cols, n_channels = pixels.shape
    #omp parallel for schedule(static) num_threads(n_threads)
    for i in range(sums.shape[0]):
        for r in range(i * factor, min(n_rows, (i + 1) * factor)):
            for j in range(sums.shape[1]):
                for c in range(j * factor, min(n_cols, (j + 1) * factor)):
                    for f in range(n_channels):
                        sums[i, j, f] += pixels[r, c, f]


def _pair_sqdist(features, a, b):
    s = 0.0
    for f in range(features.shape[1]):
        t = features[a, f] - features[b, f]
        s += t * t
    return s


def pair_sqdist_totals(index, features, d_row, d_col, row_totals, n_threads):
    """``row_totals[r]``: the sum, over the pairs of row r, of their squared feature
    difference, the pairs added in column order.

    Parameters
    ----------
    index : (M, N) int32, read: each pixel's row of ``features``.
    features : (n_colors, F) float64, read.
    d_row : int, 0 or 1; d_col : int, -1, 0 or 1 (not both 0): the neighbour's offset.
    row_totals : (M - d_row,) float64, written.
    n_threads : int, OpenMP threads over the rows.

    Returns nothing. Thread safety: keeps no state and writes only ``row_totals``:
    safe on separate buffers, never shared.
    """
    first = max(0, -d_col)
    stop = index.shape[1] - max(0, d_col)
    #omp parallel for schedule(static) num_threads(n_threads)
    for r in range(index.shape[0] - d_row):
        total = 0.0
        for c in range(first, stop):
            total += _pair_sqdist(features, index[r, c], index[r + d_row, c + d_col])
        row_totals[r] = total


def touching_pair_sqdist(index, features, d_row, d_col, touch, row_start, out, n_threads):
    """The squared feature difference of each pair where ``touch`` is true, in
    row-major order of ``touch`` (the order of NumPy's ``squared[touch]``).

    Parameters
    ----------
    index : (M, N) int32, read: each pixel's row of ``features``.
    features : (n_colors, F) float64, read.
    d_row, d_col : int, the neighbour's offset (as in ``pair_sqdist_totals``).
    touch : (M - d_row, N - |d_col|) bool, read: the pairs wanted; column j is the
        pair of pixel (r, j + max(0, -d_col)).
    row_start : (M - d_row,) int64, read: where row r's wanted pairs start in ``out``
        (the running count of ``touch`` before row r).
    out : (touch.sum(),) float64, written.
    n_threads : int, OpenMP threads over the rows.

    Returns nothing. Thread safety: keeps no state and writes only ``out``: safe
    on separate buffers, never shared.
    """
    first = max(0, -d_col)
    #omp parallel for schedule(static) num_threads(n_threads)
    for r in range(touch.shape[0]):
        k = row_start[r]
        for j in range(touch.shape[1]):
            if touch[r, j]:
                out[k] = _pair_sqdist(features, index[r, first + j], index[r + d_row, first + j + d_col])
                k += 1
