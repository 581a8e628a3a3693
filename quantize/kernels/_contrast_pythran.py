"""Pythran kernels for segmentation's grids: block sums for a downscaled image, the
band around a mask's boundary, and the graph cut's contrast term on a color-indexed
image.

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
import numpy as np

# Rows per parallel chunk of boundary_band's second pass (each starts its window anew).
BAND_CHUNK_ROWS = 256

#pythran export block_sums(uint8[:,:,:], int, int64[:,:,:], int)
#pythran export pair_sqdist_row_totals(int32[:,:], float64[:,:], float64[:,:], int)
#pythran export boundary_band(uint8[:,:], int, uint8[:,:], bool[:,:], int)
#pythran export touching_pair_sqdist(int32[:,:], float64[:,:], int, int, bool[:,:], int64[:], float64[:], int)


def block_sums(pixels, factor, sums, n_threads):
    """``sums[i, j]``: the sum of ``pixels`` (M, N, C) uint8 over the block of rows
    i * factor up to (i + 1) * factor and columns likewise, cut by the image's edge;
    ``sums`` (ceil(M / factor), ceil(N / factor), C) int64 must be zero on entry.
    Parallel over rows of blocks: each thread writes its own rows of ``sums``. One
    and three channels (masks, RGB) add a block's row in local sums: 3x faster on
    18 MP than adding into ``sums`` pixel by pixel, which the other counts still do."""
    n_rows, n_cols, n_channels = pixels.shape
    #omp parallel for schedule(static) num_threads(n_threads)
    for i in range(sums.shape[0]):
        for r in range(i * factor, min(n_rows, (i + 1) * factor)):
            for j in range(sums.shape[1]):
                stop = min(n_cols, (j + 1) * factor)
                if n_channels == 1:
                    s0 = 0
                    for c in range(j * factor, stop):
                        s0 += pixels[r, c, 0]
                    sums[i, j, 0] += s0
                elif n_channels == 3:
                    s0, s1, s2 = 0, 0, 0
                    for c in range(j * factor, stop):
                        s0 += pixels[r, c, 0]
                        s1 += pixels[r, c, 1]
                        s2 += pixels[r, c, 2]
                    sums[i, j, 0] += s0
                    sums[i, j, 1] += s1
                    sums[i, j, 2] += s2
                else:
                    for c in range(j * factor, stop):
                        for f in range(n_channels):
                            sums[i, j, f] += pixels[r, c, f]


def _pair_sqdist(features, a, b):
    s = 0.0
    for f in range(features.shape[1]):
        t = features[a, f] - features[b, f]
        s += t * t
    return s


def _gather_row(index, features, r, out):
    for c in range(index.shape[1]):
        for f in range(features.shape[1]):
            out[c, f] = features[index[r, c], f]


def _row_sqdist_total(here, there, shift):
    """Sum over the columns c of ``here``, in order, of the squared difference
    between here[c] and there[c + shift] (the pairs inside the row)."""
    total = 0.0
    for c in range(max(0, -shift), here.shape[0] - max(0, shift)):
        s = 0.0
        for f in range(here.shape[1]):
            t = here[c, f] - there[c + shift, f]
            s += t * t
        total += s
    return total


def pair_sqdist_row_totals(index, features, totals, n_threads):
    """``totals[k, r]``: the sum, over the pairs of row r in direction k, of their
    squared feature difference, the pairs added in column order. The directions
    are those of quantize.segment.graphcut.NEIGHBOURS, in its order: right, down,
    down-right, down-left; the last row has no pair below (its totals there are left
    as they are).

    Parameters
    ----------
    index : (M, N) int32, read: each pixel's row of ``features``.
    features : (n_colors, F) float64, read.
    totals : (4, M) float64, written.
    n_threads : int, OpenMP threads over the rows.

    Each row's features and those of the row below are gathered once into buffers
    of the thread, so a pixel's color is read from the table twice, not eight times
    (once per end of a pair of four directions): the table of an 18 MP photo's
    colors does not fit in a cache.

    Returns nothing. Thread safety: keeps no state and writes only ``totals``:
    safe on separate buffers, never shared.
    """
    n_rows, n_cols = index.shape
    #omp parallel for schedule(static) num_threads(n_threads)
    for r in range(n_rows):
        here = np.empty((n_cols, features.shape[1]))
        _gather_row(index, features, r, here)
        totals[0, r] = _row_sqdist_total(here, here, 1)
        if r + 1 < n_rows:
            below = np.empty((n_cols, features.shape[1]))
            _gather_row(index, features, r + 1, below)
            totals[1, r] = _row_sqdist_total(here, below, 0)
            totals[2, r] = _row_sqdist_total(here, below, 1)
            totals[3, r] = _row_sqdist_total(here, below, -1)


def boundary_band(mask, radius, sides, band, n_threads):
    """``band``: the pixels whose square window of half side ``radius`` (clipped
    by the image's edge) holds both set and unset pixels of ``mask``; that is, a
    maximum filter minus a minimum filter of size 2 * radius + 1 in the "reflect"
    edge mode (a reflected pixel repeats one already inside the window).

    Parameters
    ----------
    mask : (M, N) uint8, 0 or 1, read.
    radius : int, >= 0.
    sides : (M, N) uint8, scratch: per pixel, bit 1 if its row's window holds a set
        pixel and bit 2 if it holds an unset one.
    band : (M, N) bool, written.
    n_threads : int, OpenMP threads over the rows.

    A running count along each row, then down each column the last row whose row
    window held each kind: two passes of constant work per pixel, where separable
    maximum and minimum filters take four.

    Returns nothing. Thread safety: keeps no state and writes only ``sides`` and
    ``band``: safe on separate buffers, never shared.
    """
    n_rows, n_cols = mask.shape
    #omp parallel for schedule(static) num_threads(n_threads)
    for r in range(n_rows):
        count = 0  # set pixels in the window of column c, [c - radius, c + radius]
        for c in range(min(radius, n_cols)):
            count += mask[r, c]
        for c in range(n_cols):
            if c + radius < n_cols:
                count += mask[r, c + radius]
            if c - radius - 1 >= 0:
                count -= mask[r, c - radius - 1]
            width = min(c + radius, n_cols - 1) - max(c - radius, 0) + 1
            sides[r, c] = (1 if count > 0 else 0) + (2 if count < width else 0)
    n_chunks = (n_rows + BAND_CHUNK_ROWS - 1) // BAND_CHUNK_ROWS
    #omp parallel for schedule(static) num_threads(n_threads)
    for chunk in range(n_chunks):
        first, stop = chunk * BAND_CHUNK_ROWS, min(n_rows, (chunk + 1) * BAND_CHUNK_ROWS)
        # Per column, the last row so far whose row window held a set (an unset) pixel.
        last_set = np.full(n_cols, -n_rows - radius - 1, dtype=np.int64)
        last_unset = np.full(n_cols, -n_rows - radius - 1, dtype=np.int64)
        for r in range(max(0, first - radius), min(n_rows, stop + radius)):
            for c in range(n_cols):
                if sides[r, c] & 1:
                    last_set[c] = r
                if sides[r, c] & 2:
                    last_unset[c] = r
            decided = r - radius  # its window's rows are all in now
            if decided >= first:
                for c in range(n_cols):
                    band[decided, c] = last_set[c] >= decided - radius and last_unset[c] >= decided - radius
        for decided in range(max(first, stop - radius), stop):  # the window cut by the last row
            if decided + radius >= n_rows:  # not decided in the loop above
                for c in range(n_cols):
                    band[decided, c] = last_set[c] >= decided - radius and last_unset[c] >= decided - radius


def touching_pair_sqdist(index, features, d_row, d_col, touch, row_start, out, n_threads):
    """The squared feature difference of each pair where ``touch`` is true, in
    row-major order of ``touch`` (the order of NumPy's ``squared[touch]``).

    Parameters
    ----------
    index : (M, N) int32, read: each pixel's row of ``features``.
    features : (n_colors, F) float64, read.
    d_row, d_col : int, the neighbour's offset: d_row 0 or 1, d_col -1, 0 or 1 (not both 0).
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
