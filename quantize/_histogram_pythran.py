"""Pythran kernels for the exact histogram of 8-bit RGB colors.

Plain Python compiled by Pythran (OpenMP); the tests also import it uncompiled.
A color is the 24-bit code ``r << 16 | g << 8 | b``; a table with one slot per
code counts them in one pass, where ``np.unique`` would sort every pixel.
"""
import numpy as np

#pythran export count_colors(uint8[:,:], int32[:], int)
#pythran export index_colors(int32[:], int32[:], int32[:])
#pythran export inverse_index(uint8[:,:], int32[:], int32[:], int)


def _code(rgb, i):
    return (int(rgb[i, 0]) << 16) | (int(rgb[i, 1]) << 8) | int(rgb[i, 2])


def count_colors(rgb, table, n_threads):
    """Add one to ``table[code]`` for every row of ``rgb`` (n, 3); table is (2**24,)."""
    n = rgb.shape[0]
    #omp parallel for schedule(static) num_threads(n_threads)
    for i in range(n):
        code = _code(rgb, i)
        #omp atomic
        table[code] += 1


def index_colors(table, codes, counts):
    """Turn the count table into a slot table: ``codes`` and ``counts`` get the
    colors present, in code order, and ``table[code]`` becomes the color's index."""
    u = 0
    for code in range(table.shape[0]):
        if table[code] > 0:
            codes[u] = code
            counts[u] = table[code]
            table[code] = u
            u += 1


def inverse_index(rgb, table, inverse, n_threads):
    """``inverse[i]`` is the index of row i's color, read from the slot table."""
    n = rgb.shape[0]
    #omp parallel for schedule(static) num_threads(n_threads)
    for i in range(n):
        inverse[i] = table[_code(rgb, i)]
