"""Pythran kernels for the exact histogram of 8-bit RGB colors.

Plain Python compiled by Pythran (OpenMP); the tests also import it uncompiled.
A color is the 24-bit code ``r << 16 | g << 8 | b``; a table with one slot per
code counts them, where ``np.unique`` would sort every pixel. The table is kept
zero between calls (``clear_listed``), so it is allocated once.

Compiled, each exported kernel runs with the GIL released (Pythran's generated
wrapper releases it around the call), so Python threads can run kernels at once.
The kernels that write ``table`` are not safe to call concurrently on a shared
table: the driver passes quantize.histogram's one module-level table, so calls
must hold ``_TABLE_LOCK`` (as ``color_histogram`` does). They keep no state of
their own: calls on separate tables and buffers, never shared, are safe.
"""
import numpy as np

#pythran export collect_colors(uint8[:,:], int32[:], int32[:])
#pythran export count_colors(uint8[:,:], int32[:])
#pythran export list_colors(int32[:], int32[:])
#pythran export index_listed(int32[:], int32[:], int32[:])
#pythran export inverse_index(uint8[:,:], int32[:], int32[:], int)
#pythran export clear_listed(int32[:], int32[:])
#pythran export smoothness_weights(float32[:], int32[:], int, float64, float64, float64[:,:], int)
#pythran export expand_to_pixels(int32[:], uint8[:], uint8[:], int)
#pythran export expand_to_pixels(int32[:], uint16[:], uint16[:], int)
#pythran export bin_sums(uint8[:,:], int, float32[:,:], float64[:], int32[:], int32[:], float64[:], float64[:,:])
#pythran export bin_sums(uint8[:,:], int, float64[:,:], float64[:], int32[:], int32[:], float64[:], float64[:,:])
#pythran export counts_in_region(int32[:], bool[:], int64[:])
#pythran export row_hashes(uint32[:,:], uint32[:], int)
#pythran export distinct_rows(uint32[:,:], uint32[:], uint32[:,:], uint32[:], int32[:], int)


def _code(r, g, b):
    # Scalars, not the array: under OpenMP, Pythran counts references atomically,
    # and passing the array once per pixel made the lookup 3-10x slower.
    return (int(r) << 16) | (int(g) << 8) | int(b)


def collect_colors(rgb, table, codes):
    """Count the colors of ``rgb`` (n, 3) into ``table`` and list each new code in
    ``codes``, in order of first appearance; returns how many there are. Serial:
    for images up to a few megapixels this beats scanning the whole table.

    Parameters
    ----------
    rgb : (n_pixels, 3) uint8, read.
    table : (2**24,) int32, read and updated: all zeros on entry, counts per code on exit.
    codes : (min(n_pixels, 2**24),) int32, written: the first n_colors entries.

    Returns n_colors, an int. Thread safety: writes the shared table (see the
    module's description).
    """
    n_colors = 0
    for i in range(rgb.shape[0]):
        code = _code(rgb[i, 0], rgb[i, 1], rgb[i, 2])
        if table[code] == 0:
            codes[n_colors] = code
            n_colors += 1
        table[code] += 1
    return n_colors


def count_colors(rgb, table):
    """Count the colors of ``rgb`` into ``table`` (large images, whose colors are
    then listed by scanning the table).

    One thread: the counts are misses in a 64 MB table, and one thread's plain
    increments keep several in flight where atomic ones wait for each; on two 18 MP
    photos 0.07-0.10 s against 0.13-0.15 s for two threads' atomic increments.

    Parameters
    ----------
    rgb : (n_pixels, 3) uint8, read.
    table : (2**24,) int32, read and updated: counts are added to it.

    Returns nothing. Thread safety: writes the shared table (see the
    module's description).
    """
    for i in range(rgb.shape[0]):
        table[_code(rgb[i, 0], rgb[i, 1], rgb[i, 2])] += 1


def list_colors(table, codes):
    """List the codes with a count in ``table``, in code order; returns how many.

    Parameters
    ----------
    table : (2**24,) int32, read: counts per code.
    codes : (min(n_pixels, 2**24),) int32, written: the first n_colors entries.

    Returns n_colors, an int. Thread safety: keeps no state and writes only
    ``codes`` (separate buffers, never shared, are safe); it reads ``table``, which the
    driver shares process-wide (quantize.histogram's module-level table), so call
    it under ``_TABLE_LOCK`` (as ``color_histogram`` does) or on a table nobody
    writes meanwhile.
    """
    n_colors = 0
    for code in range(table.shape[0]):
        if table[code] > 0:
            codes[n_colors] = code
            n_colors += 1
    return n_colors


def index_listed(table, codes, counts):
    """Move each listed color's count to ``counts`` and put its index in the table.

    Parameters
    ----------
    table : (2**24,) int32, read and updated: slot codes[j] goes from a count to j.
    codes : (n_colors,) int32, read.
    counts : (n_colors,) int32, written: counts[j] is the count of codes[j].

    Returns nothing. Thread safety: writes the shared table (see the
    module's description).
    """
    for j in range(codes.shape[0]):
        counts[j] = table[codes[j]]
        table[codes[j]] = j


def inverse_index(rgb, table, inverse, n_threads):
    """``inverse[i]`` is the index of row i's color, read from the indexed table.

    Parameters
    ----------
    rgb : (n_pixels, 3) uint8, read.
    table : (2**24,) int32, read: a color index per listed code (``index_listed``).
    inverse : (n_pixels,) int32, written.
    n_threads : int, OpenMP threads over the pixels.

    Returns nothing. Thread safety: keeps no state and writes only ``inverse``
    (separate buffers, never shared, are safe); it reads ``table``, which the
    driver shares process-wide (quantize.histogram's module-level table), so call
    it under ``_TABLE_LOCK`` (as ``color_histogram`` does) or on a table nobody
    writes meanwhile.
    """
    n = rgb.shape[0]
    #omp parallel for schedule(static) num_threads(n_threads)
    for i in range(n):
        inverse[i] = table[_code(rgb[i, 0], rgb[i, 1], rgb[i, 2])]


def clear_listed(table, codes):
    """Zero the table slots of the listed colors, leaving the table all zeros.

    Parameters
    ----------
    table : (2**24,) int32, written: slot codes[j] set to 0.
    codes : (n_colors,) int32, read.

    Returns nothing. Thread safety: writes the shared table (see the
    module's description).
    """
    for j in range(codes.shape[0]):
        table[codes[j]] = 0


def smoothness_weights(color_lightness, inverse, n_cols, scale, floor, block_weights, n_threads):
    """Add each pixel's importance to its color's weight: ``floor + 1 / (1 + t * t)``
    with ``t`` the lightness range of its 3x3 neighbourhood over ``scale``, so a
    pixel in a smooth area weighs up to ``1 + floor`` and one in texture ``floor``.

    The image's rows are cut into ``block_weights.shape[0]`` bands, each summed into
    its own row of ``block_weights`` in pixel order: the caller adds the rows up in
    order, so the weights do not depend on the thread count. A band keeps three
    rows of lightness (read through ``inverse``) and their column-wise range, so
    each pixel is looked up once, not nine times.

    Parameters
    ----------
    color_lightness : (n_colors,) float32, read: lightness of each color.
    inverse : (M * N,) int32, read: color index of each pixel, row by row.
    n_cols : int, N, the image's width.
    scale : float64, lightness range that halves a pixel's smoothness term.
    floor : float64, weight of a pixel in texture.
    block_weights : (n_bands, n_colors) float64, read and updated: each pixel's
        weight is added to its band's row.
    n_threads : int, OpenMP threads over the bands.

    Returns nothing. Thread safety: keeps no module-level state and writes only
    ``block_weights``, so it is safe to call concurrently on separate buffers,
    which must not be shared.
    """
    n_rows = inverse.shape[0] // n_cols
    n_bands = block_weights.shape[0]
    #omp parallel for schedule(dynamic) num_threads(n_threads)
    for band in range(n_bands):
        start = band * n_rows // n_bands
        stop = (band + 1) * n_rows // n_bands
        above = np.empty(n_cols, dtype=np.float32)
        here = np.empty(n_cols, dtype=np.float32)
        below = np.empty(n_cols, dtype=np.float32)
        low = np.empty(n_cols, dtype=np.float32)
        high = np.empty(n_cols, dtype=np.float32)
        if start < stop:  # the rows beyond the image's edges repeat its edge rows
            _lightness_row(color_lightness, inverse, max(start - 1, 0), n_cols, above)
            _lightness_row(color_lightness, inverse, start, n_cols, here)
        for r in range(start, stop):
            _lightness_row(color_lightness, inverse, min(r + 1, n_rows - 1), n_cols, below)
            for c in range(n_cols):
                low[c] = min(min(above[c], here[c]), below[c])
                high[c] = max(max(above[c], here[c]), below[c])
            for c in range(n_cols):
                lo, hi = low[c], high[c]
                if c > 0:
                    lo, hi = min(lo, low[c - 1]), max(hi, high[c - 1])
                if c + 1 < n_cols:
                    lo, hi = min(lo, low[c + 1]), max(hi, high[c + 1])
                t = (hi - lo) / scale
                block_weights[band, inverse[r * n_cols + c]] += floor + 1.0 / (1.0 + t * t)
            above, here, below = here, below, above


def _lightness_row(color_lightness, inverse, r, n_cols, out):
    for c in range(n_cols):
        out[c] = color_lightness[inverse[r * n_cols + c]]


def expand_to_pixels(inverse, per_color, per_pixel, n_threads):
    """``per_pixel[i] = per_color[inverse[i]]``: a value per color spread to the
    pixels (NumPy's ``per_color[inverse]`` runs on one thread).

    Parameters
    ----------
    inverse : (n_pixels,) int32, read: the color of each pixel.
    per_color : (n_colors,) uint8 or uint16, read.
    per_pixel : (n_pixels,) the same dtype, written.
    n_threads : int, OpenMP threads over the pixels.

    Returns nothing. Thread safety: keeps no state and writes only ``per_pixel``:
    safe on separate buffers, never shared.
    """
    #omp parallel for schedule(static) num_threads(n_threads)
    for i in range(inverse.shape[0]):
        per_pixel[i] = per_color[inverse[i]]


def bin_sums(colors, bits, features, weights, bin_table, bin_of_color, bin_weights, bin_sums):
    """Merge colors that share the top ``bits`` bits of every channel: the bins met,
    numbered in the order of their codes, and each bin's summed weights and summed
    weighted features, added in the order of the colors.

    Parameters
    ----------
    colors : (n, C) uint8, read.
    bits : int, bits kept of each channel.
    features : (n, F) float32 or float64, read.
    weights : (n,) float64, read.
    bin_table : (2 ** (bits * C),) int32, all zeros, written (scratch).
    bin_of_color : (n,) int32, written: each color's bin.
    bin_weights : (min(n, 2 ** (bits * C)),) float64, zeros, added to: the first n_bins entries.
    bin_sums : (like bin_weights, F) float64, zeros, added to: sums of weight x feature.

    Returns n_bins, an int. Thread safety: serial, keeps no state and writes only
    its own arguments: safe on separate buffers, never shared.
    """
    n_colors, n_channels = colors.shape
    for i in range(n_colors):
        code = 0
        for ch in range(n_channels):
            code = (code << bits) | (int(colors[i, ch]) >> (8 - bits))
        bin_of_color[i] = code
        bin_table[code] = 1
    n_bins = 0
    for code in range(bin_table.shape[0]):
        if bin_table[code]:
            bin_table[code] = n_bins
            n_bins += 1
    for i in range(n_colors):
        b = bin_table[bin_of_color[i]]
        bin_of_color[i] = b
        bin_weights[b] += weights[i]
        for f in range(features.shape[1]):
            bin_sums[b, f] += weights[i] * features[i, f]
    return n_bins


def counts_in_region(inverse, region, counts):
    """Add to ``counts[c]`` the pixels of color c where ``region`` is true (a
    boolean index and a bincount would copy the region's pixels first).

    Parameters
    ----------
    inverse : (n_pixels,) int32, read: the color of each pixel.
    region : (n_pixels,) bool, read.
    counts : (n_colors,) int64, read and updated.

    Returns nothing. Thread safety: serial, keeps no state and writes only
    ``counts``: safe on separate buffers, never shared.
    """
    for i in range(inverse.shape[0]):
        if region[i]:
            counts[inverse[i]] += 1


def row_hashes(words, hashes, n_threads):
    """A 32-bit hash of each row's words (a murmur-style mix after each word).

    Parameters
    ----------
    words : (n_rows, n_words) uint32, read: the bytes of each row (equal rows, equal words).
    hashes : (n_rows,) uint32, written.
    n_threads : int, OpenMP threads over the rows.

    Returns nothing. Thread safety: keeps no state and writes only ``hashes``:
    safe on separate buffers, never shared.
    """
    #omp parallel for schedule(static) num_threads(n_threads)
    for i in range(words.shape[0]):
        h = 0
        for f in range(words.shape[1]):
            h ^= int(words[i, f])
            h = (((h >> 16) ^ h) * 0x45D9F3B) & 0xFFFFFFFF
            h = (((h >> 16) ^ h) * 0x45D9F3B) & 0xFFFFFFFF
            h = (h >> 16) ^ h
        hashes[i] = h


def distinct_rows(words, hashes, rows, row_hashes, inverse, max_distinct):
    """The distinct rows of ``words``, in order of first appearance, found with a
    hash table (linear probing, grown to stay at most half full); stops once more
    than ``max_distinct`` are found, when grouping the rows would not pay.

    Parameters
    ----------
    words : (n_rows, n_words) uint32, read: the bytes of each row (equal rows, equal words).
    hashes : (n_rows,) uint32, read: ``row_hashes`` of ``words``.
    rows : (max_distinct, n_words) uint32, written: the distinct rows first.
    row_hashes : (max_distinct,) uint32, written: their hashes.
    inverse : (n_rows,) int32, written: the distinct row of each row.
    max_distinct : int, the most distinct rows to list.

    Returns n_distinct, or -1 when there are more than ``max_distinct`` (the
    outputs are then partly written). Thread safety: serial, keeps no state and
    writes only its own arguments: safe on separate buffers, never shared.
    """
    n_rows, n_words = words.shape
    size = 1 << 12
    table = np.full(size, -1, dtype=np.int32)  # the distinct row in each slot
    n_distinct = 0
    for i in range(n_rows):
        h = int(hashes[i])
        slot = h & (size - 1)
        while True:
            j = table[slot]
            if j < 0:
                if n_distinct == max_distinct:
                    return -1
                for f in range(n_words):
                    rows[n_distinct, f] = words[i, f]
                row_hashes[n_distinct] = hashes[i]
                table[slot] = n_distinct
                inverse[i] = n_distinct
                n_distinct += 1
                if 2 * n_distinct > size:  # half full: double and reinsert
                    size *= 2
                    table = np.full(size, -1, dtype=np.int32)
                    for d in range(n_distinct):
                        s = int(row_hashes[d]) & (size - 1)
                        while table[s] >= 0:
                            s = (s + 1) & (size - 1)
                        table[s] = d
                break
            same = True
            for f in range(n_words):
                if rows[j, f] != words[i, f]:
                    same = False
                    break
            if same:
                inverse[i] = j
                break
            slot = (slot + 1) & (size - 1)
    return n_distinct
