"""Pythran kernels for the nearest-center search: the center geometry, labelling,
distances to labelled centers, and Floyd-Steinberg dithering.

Plain Python on purpose: the build compiles this file with Pythran (OpenMP), and
the tests import it uncompiled to compare both on tiny inputs. Kernels trust their
inputs; the public functions validate them.

The search uses the geometry of the centers: ``order[a]`` lists all centers,
nearest to center ``a`` first (``order[a, 0] == a``), and ``cc_bound[a, m]`` is a
lower bound on the distance from ``a`` to each of ``order[a, m:]``, never less
than ``cc_bound[a, m - 1]``. Starting from
a hint ``a`` at distance ``r`` from the point, no center ``j`` with
``cc(a, j) - r >= radius`` can be closer than ``radius`` (triangle inequality),
so the scan stops there. Pixel clouds are 3- to 5-dimensional and the hint (the
previous pixel's label, or the previous iteration's) is usually right, so most
centers are never looked at.

Inner loops are written out instead of calling small helpers: compiled with
OpenMP, Pythran counts references atomically, and passing an array to a function
once per point cost 3-10x the loop itself (measured on the color lookup).
Per-chunk helpers are fine. Parallel loops run over fixed chunks of
``chunk_rows`` rows, so results never depend on the thread count.

Compiled, each exported kernel runs with the GIL released (Pythran's generated
wrapper releases it around the call), so Python threads can run kernels at once.
"""
import numpy as np

#pythran export center_geometry(float64[:,:], int64[:,:], float64[:,:], int, float64[:], float64, int)
#pythran export assign_nearest(float32[:,:], float64[:,:], int64[:,:], float64[:,:], int32[:], float64[:], float64[:], bool, int, int)
#pythran export assign_nearest(float64[:,:], float64[:,:], int64[:,:], float64[:,:], int32[:], float64[:], float64[:], bool, int, int)
#pythran export labelled_sqdist(float32[:,:], float64[:,:], int32[:], float64[:], int, int)
#pythran export labelled_sqdist(float64[:,:], float64[:,:], int32[:], float64[:], int, int)
#pythran export dither_floyd_steinberg(float32[:,:,:], float64[:,:], int64[:,:], float64[:,:], float64[:], float64[:], float64, int32[:,:])


def _geometry_row(centers, order, cc_bound, a, n_sorted, shift, max_shift):
    k, n_features = centers.shape
    for m in range(n_sorted):  # squared distances of the sorted neighbours; a itself first
        j = order[a, m]
        d = -1.0
        if j != a:
            d = 0.0
            for f in range(n_features):
                t = centers[a, f] - centers[j, f]
                d += t * t
        cc_bound[a, m] = d
    if n_sorted < k:
        # The rest kept a lower bound on their distances; moved centers lower it by
        # at most a's shift and the largest other shift. Sorted neighbours nearer
        # than that bound are the nearest centers; the others' bounds are capped at
        # it. While at least half are, no distance to the rest is needed (at
        # k = 256, 32 of 256 per row).
        decay = shift[a] + max_shift
        nearest_rest = cc_bound[a, n_sorted] - decay
        _sort_prefix(order, cc_bound, a, n_sorted)
        n_clear = 0
        if nearest_rest > 0.0:
            while n_clear < n_sorted and cc_bound[a, n_clear] < nearest_rest * nearest_rest:
                n_clear += 1
        if 2 * n_clear >= n_sorted:
            for m in range(n_sorted, k):
                cc_bound[a, m] -= decay
            cc_bound[a, 0] = 0.0
            for m in range(1, n_sorted):
                cc_bound[a, m] = min(np.sqrt(cc_bound[a, m]), nearest_rest)
            return
    for m in range(n_sorted, k):  # the rest's squared distances along the old order
        j = order[a, m]
        d = 0.0
        for f in range(n_features):
            t = centers[a, f] - centers[j, f]
            d += t * t
        cc_bound[a, m] = d
    # The order was sorted for centers that have since moved a little: an
    # insertion sort repairs the first n_sorted in a few swaps per row, and any
    # center of the rest now nearer than the last of them trades places with it
    # and is inserted too, so they are the n_sorted nearest. The rest stay unsorted.
    _sort_prefix(order, cc_bound, a, n_sorted)
    last = n_sorted - 1
    for m in range(n_sorted, k):
        if cc_bound[a, m] < cc_bound[a, last]:
            j = order[a, m]
            d = cc_bound[a, m]
            order[a, m] = order[a, last]
            cc_bound[a, m] = cc_bound[a, last]
            order[a, last] = j
            cc_bound[a, last] = d
            _sink(order, cc_bound, a, last)
    smallest = np.inf  # the rest: the smallest distance to any center from m on
    for m in range(k - 1, n_sorted - 1, -1):
        smallest = min(smallest, cc_bound[a, m])
        cc_bound[a, m] = np.sqrt(smallest)
    cc_bound[a, 0] = 0.0
    for m in range(1, n_sorted):
        cc_bound[a, m] = np.sqrt(cc_bound[a, m])


def _sort_prefix(order, cc_bound, a, n_sorted):
    """Insertion sort of row a's first n_sorted entries by cc_bound."""
    for m in range(1, n_sorted):
        _sink(order, cc_bound, a, m)


def _sink(order, cc_bound, a, start):
    """Move row a's entry ``start`` down past the entries before it that are farther."""
    p = start
    j = order[a, p]
    d = cc_bound[a, p]
    while p > 0 and cc_bound[a, p - 1] > d:
        order[a, p] = order[a, p - 1]
        cc_bound[a, p] = cc_bound[a, p - 1]
        p -= 1
    order[a, p] = j
    cc_bound[a, p] = d


def center_geometry(centers, order, cc_bound, n_sorted, shift, max_shift, n_threads):
    """Bring the neighbour order of every center up to date for moved centers.

    ``order[a]`` is a permutation of the centers whose first ``n_sorted`` entries
    were the nearest to center a, in order, for recent centers. Afterwards they
    are again, and ``cc_bound[a, m]`` is the distance from a to ``order[a, m]``
    for m < n_sorted, beyond that a lower bound on the smallest distance to any
    of ``order[a, m:]``, never decreasing along the row. The search rarely looks
    past the first few dozen neighbours; keeping only those sorted and repairing
    rather than re-sorting costs 0.3 ms at k = 256 (a compiled argsort per call:
    2.5 ms). The driver sorts from scratch.

    A row whose rest, by its old bound lowered by the moves, stays beyond all its
    sorted neighbours keeps that lowered bound (no distances to the rest); any
    other row recomputes the rest's distances and repairs its order.

    Parameters
    ----------
    centers : (k, n_features) float64, read.
    order : (k, k) int64, read and updated in place; each row a permutation of range(k).
    cc_bound : (k, k) float64, read and written (the driver's ``CenterGeometry.cc_sorted``):
        on entry the bounds for the centers before they moved (read only beyond n_sorted).
    n_sorted : int, neighbours kept sorted per row, 1 <= n_sorted <= k (driver: min(k, 32)).
    shift : (k,) float64, read: how far each center moved since ``cc_bound`` was made
        (inf makes every row recompute).
    max_shift : float, the largest of ``shift``.
    n_threads : int, OpenMP threads over the rows (centers).

    Returns nothing. Thread safety: keeps no module-level state and writes only
    ``order`` and ``cc_bound``, so it is safe to call concurrently on separate buffers;
    the buffers must not be shared (one ``CenterGeometry`` updated from two threads).
    """
    #omp parallel for schedule(static) num_threads(n_threads)
    for a in range(centers.shape[0]):
        _geometry_row(centers, order, cc_bound, a, n_sorted, shift, max_shift)


def _assign_chunk(X, centers, order, cc_bound, labels, dist, lower, need_second, start, stop):
    k, n_features = centers.shape
    hint = 0  # neighbouring rows of an image are alike: the previous label is the hint
    for i in range(start, stop):
        best_sq = 0.0
        for f in range(n_features):
            t = X[i, f] - centers[hint, f]
            best_sq += t * t
        best = hint
        second_sq = np.inf
        r = np.sqrt(best_sq)
        a = hint
        m = 1
        while m < k:
            gap = cc_bound[a, m] - r
            if gap > 0.0 and gap * gap >= (second_sq if need_second else best_sq):
                break
            j = order[a, m]
            m += 1
            d = 0.0
            for f in range(n_features):
                t = X[i, f] - centers[j, f]
                d += t * t
            if d < best_sq:
                second_sq = best_sq
                best_sq = d
                best = j
                if 4.0 * d < r * r:
                    # Under half the hint's distance: a poor hint (rows in no useful
                    # order). Scan again from here, where the radius is smaller.
                    a = j
                    r = np.sqrt(d)
                    m = 1
            elif d < second_sq:
                second_sq = d
        labels[i] = best
        dist[i] = np.sqrt(best_sq)
        if need_second:
            lower[i] = np.sqrt(second_sq)
        hint = best


def assign_nearest(X, centers, order, cc_bound, labels, dist, lower, need_second,
                   chunk_rows, n_threads):
    """Label every row with its nearest center; ``dist`` gets the distance to it and,
    if ``need_second``, ``lower`` the distance to the second nearest.

    Parameters
    ----------
    X : (n_samples, n_features) float32 or float64, read.
    centers : (k, n_features) float64, read.
    order : (k, k) int64, read: neighbour order from ``center_geometry`` on these centers.
    cc_bound : (k, k) float64, read: its bounds (the driver's ``CenterGeometry.cc_sorted``).
    labels : (n_samples,) int32, written: index of the nearest center.
    dist : (n_samples,) float64, written: distance to the nearest center.
    lower : (n_samples,) float64, written if ``need_second``, else untouched (may be empty).
    need_second : bool, also find the distance to the second nearest (Lloyd's lower bound).
    chunk_rows : int, rows per parallel chunk (the driver's ``CHUNK_ROWS``).
    n_threads : int, OpenMP threads over the chunks.

    Returns nothing. Thread safety: keeps no module-level state and writes only
    ``labels``, ``dist`` and ``lower``, so it is safe to call concurrently on separate
    output buffers, which must not be shared; arrays it only reads may be shared if
    nobody writes them meanwhile.
    """
    n = X.shape[0]
    n_chunks = (n + chunk_rows - 1) // chunk_rows
    #omp parallel for schedule(dynamic) num_threads(n_threads)
    for c in range(n_chunks):
        _assign_chunk(X, centers, order, cc_bound, labels, dist, lower, need_second,
                      c * chunk_rows, min(n, (c + 1) * chunk_rows))


def _sqdist_chunk(X, centers, labels, out, start, stop):
    for i in range(start, stop):
        a = labels[i]
        d = 0.0
        for f in range(X.shape[1]):
            t = X[i, f] - centers[a, f]
            d += t * t
        out[i] = d


def labelled_sqdist(X, centers, labels, out, chunk_rows, n_threads):
    """Squared distance of every row to the center it is labelled with.

    Parameters
    ----------
    X : (n_samples, n_features) float32 or float64, read.
    centers : (k, n_features) float64, read.
    labels : (n_samples,) int32, read: a center index per row.
    out : (n_samples,) float64, written: squared distance of row i to centers[labels[i]].
    chunk_rows : int, rows per parallel chunk (the driver's ``CHUNK_ROWS``).
    n_threads : int, OpenMP threads over the chunks.

    Returns nothing. Thread safety: keeps no module-level state and writes only
    ``out``, so it is safe to call concurrently on separate ``out`` buffers, which must
    not be shared; arrays it only reads may be shared if nobody writes them meanwhile.
    """
    n = X.shape[0]
    n_chunks = (n + chunk_rows - 1) // chunk_rows
    #omp parallel for schedule(dynamic) num_threads(n_threads)
    for c in range(n_chunks):
        _sqdist_chunk(X, centers, labels, out, c * chunk_rows, min(n, (c + 1) * chunk_rows))


def dither_floyd_steinberg(image, centers, order, cc_bound, low, high, strength, labels):
    """Label every pixel of ``image`` (M, N, C) with Floyd-Steinberg error diffusion.

    Rows are scanned in serpentine order (left to right, then right to left), so
    errors do not drift one way. The diffused value is clipped to [``low``,
    ``high``] per feature (the palette's range), which keeps runaway errors from
    smearing across flat areas. Serial by nature: each pixel needs the error of
    the one before.

    ``strength`` is the share of each pixel's error passed on (1: classic
    Floyd-Steinberg).

    ``labels`` (M, N) int32 is read first: a pixel whose label is already >= 0
    keeps it and drops the error diffused into it, passing none on (transparent
    pixels, whose colors nobody sees); pixels labelled -1 are dithered.

    Parameters
    ----------
    image : (n_rows, n_cols, n_features) float32, read: the pixels' features.
    centers : (k, n_features) float64, read.
    order : (k, k) int64, read: neighbour order from ``center_geometry`` on these centers.
    cc_bound : (k, k) float64, read: its bounds (the driver's ``CenterGeometry.cc_sorted``).
    low : (n_features,) float64, read: lower clip per feature (driver: centers.min(0)).
    high : (n_features,) float64, read: upper clip per feature (driver: centers.max(0)).
    strength : float64, share of the error diffused.
    labels : (n_rows, n_cols) int32, read and updated in place: every -1 becomes a center.

    Returns nothing. Thread safety: serial, keeps no module-level state (its error
    rows are allocated per call) and writes only ``labels``, so it is safe to call
    concurrently on separate ``labels`` buffers, which must not be shared.
    """
    n_rows, n_cols, n_features = image.shape
    k = centers.shape[0]
    # Error rows padded by one column on each side: pixel col lives at col + 1.
    current = np.zeros((n_cols + 2, n_features))
    below = np.zeros((n_cols + 2, n_features))
    value = np.zeros(n_features)
    hint = 0
    for r in range(n_rows):
        step = 1 if r % 2 == 0 else -1
        for s in range(n_cols):
            col = s if step == 1 else n_cols - 1 - s
            if labels[r, col] >= 0:
                continue
            best_sq = 0.0
            for f in range(n_features):
                v = min(max(image[r, col, f] + current[col + 1, f], low[f]), high[f])
                value[f] = v
                t = v - centers[hint, f]
                best_sq += t * t
            best = hint
            radius = np.sqrt(best_sq)
            for m in range(1, k):
                gap = cc_bound[hint, m] - radius
                if gap > 0.0 and gap * gap >= best_sq:
                    break
                j = order[hint, m]
                d = 0.0
                for f in range(n_features):
                    t = value[f] - centers[j, f]
                    d += t * t
                if d < best_sq:
                    best_sq = d
                    best = j
            labels[r, col] = best
            hint = best
            for f in range(n_features):
                e = (value[f] - centers[best, f]) * strength
                current[col + 1 + step, f] += e * (7.0 / 16.0)
                below[col + 1 - step, f] += e * (3.0 / 16.0)
                below[col + 1, f] += e * (5.0 / 16.0)
                below[col + 1 + step, f] += e * (1.0 / 16.0)
        for c in range(n_cols + 2):
            for f in range(n_features):
                current[c, f] = below[c, f]
                below[c, f] = 0.0
