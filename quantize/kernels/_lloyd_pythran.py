"""Pythran kernels for Lloyd's k-means: the bounded E-step, cluster sums, moments.

Plain Python compiled by Pythran (OpenMP); the tests also import it uncompiled.
Kernels trust their inputs; ``quantize.engine`` validates them. Each parallel loop
runs over fixed chunks of ``chunk_rows`` rows that write their own partial
results, reduced by the driver in chunk order: the thread count never changes a
result. Distances are computed in float64 whatever the dtype of ``X``. The
nearest-center scan and its geometry (``order``, ``cc_bound``) are explained in
_nearest_pythran.py; as there, inner loops are written out because per-point
calls that pass arrays are slow under OpenMP.

Compiled, each exported kernel runs with the GIL released (Pythran's generated
wrapper releases it around the call), so Python threads can run kernels at once.
"""
import numpy as np

#pythran export lloyd_step(float32[:,:], float64[:], float64[:,:], int64[:,:], float64[:,:], float64[:], float64[:], float64[:], float64[:], float64[:], int32[:], float64[:], float64[:], float64[:,:,:], float64[:,:], int64[:], int, int)
#pythran export lloyd_step(float64[:,:], float64[:], float64[:,:], int64[:,:], float64[:,:], float64[:], float64[:], float64[:], float64[:], float64[:], int32[:], float64[:], float64[:], float64[:,:,:], float64[:,:], int64[:], int, int)
#pythran export cluster_sums(float32[:,:], float64[:], int32[:], float64[:,:,:], float64[:,:], int, int)
#pythran export cluster_sums(float64[:,:], float64[:], int32[:], float64[:,:,:], float64[:,:], int, int)
#pythran export weighted_moments(float32[:,:], float64[:], float64[:], float64[:,:,:], int, int)
#pythran export weighted_moments(float64[:,:], float64[:], float64[:], float64[:,:,:], int, int)


def _lloyd_chunk(X, sample_weight, centers, order, cc_bound, half_gap, upper_shift,
                 lower_shift, near_shift, far_bound, labels, upper, lower, sums, weights, c, start, stop):
    k, n_features = centers.shape
    changed = 0
    for i in range(start, stop):
        a = labels[i]
        u = upper[i] + upper_shift[a]
        # The second nearest is a near neighbour of a, whose bound moved by at most
        # near_shift[a], or one of the rest, at least far_bound[a] - u away.
        l = min(lower[i] - near_shift[a], max(far_bound[a] - u, lower[i] - lower_shift[a]))
        bound = max(l, half_gap[a])
        if u <= bound:
            upper[i] = u
            lower[i] = l
            continue
        # The bounds failed: tighten the upper bound with the true distance.
        best_sq = 0.0
        for f in range(n_features):
            t = X[i, f] - centers[a, f]
            best_sq += t * t
        u = np.sqrt(best_sq)
        if u <= bound:
            upper[i] = u
            lower[i] = l
            continue
        # Still failed: scan the centers near a for the nearest and second nearest.
        best = a
        second_sq = np.inf
        for m in range(1, k):
            gap = cc_bound[a, m] - u
            if gap > 0.0 and gap * gap >= second_sq:
                break
            j = order[a, m]
            d = 0.0
            for f in range(n_features):
                t = X[i, f] - centers[j, f]
                d += t * t
            if d < best_sq:
                second_sq = best_sq
                best_sq = d
                best = j
            elif d < second_sq:
                second_sq = d
        if best != a:
            # Only a row that changes cluster touches the sums.
            changed += 1
            labels[i] = best
            w = sample_weight[i]
            for f in range(n_features):
                sums[c, a, f] -= w * X[i, f]
                sums[c, best, f] += w * X[i, f]
            weights[c, a] -= w
            weights[c, best] += w
        upper[i] = np.sqrt(best_sq)
        lower[i] = np.sqrt(second_sq)
    return changed


def lloyd_step(X, sample_weight, centers, order, cc_bound, half_gap, upper_shift,
               lower_shift, near_shift, far_bound, labels, upper, lower, sums, weights, changed,
               chunk_rows, n_threads):
    """One Lloyd E-step with Hamerly bounds, keeping the cluster sums up to date.

    On entry ``labels``, ``upper`` and ``lower`` are valid for the previous centers,
    which moved by at most ``upper_shift[a]`` (center a) and ``lower_shift[a]`` (any
    other center). A row's second nearest is one of a's sorted neighbours, which
    moved by at most ``near_shift[a]``, or one of the rest, at least ``far_bound[a]``
    from a: at k = 256 the largest move of all is often several times that of a's
    neighbours, and the bound it alone gives fails for half the rows. Chunk c's
    weighted sums per cluster are in ``sums[c]`` (n_clusters, n_features) and
    ``weights[c]``. Rows whose bounds prove their label
    right are not searched. On exit the labels are those of the nearest
    ``centers``, the sums match them, and ``changed[c]`` counts chunk c's changes.
    ``half_gap[a]`` is half the distance from center a to its nearest other center.

    Parameters
    ----------
    X : (n_samples, n_features) float32 or float64, read.
    sample_weight : (n_samples,) float64, read.
    centers : (k, n_features) float64, read: the new centers.
    order : (k, k) int64, read: neighbour order from ``center_geometry`` on these centers.
    cc_bound : (k, k) float64, read: its bounds (the driver's ``CenterGeometry.cc_sorted``).
    half_gap : (k,) float64, read (``CenterGeometry.half_gap``: cc_sorted[:, 1] / 2).
    upper_shift : (k,) float64, read: how far each center moved since the bounds were set.
    lower_shift : (k,) float64, read: the largest move of any other center.
    near_shift : (k,) float64, read: the largest move of the centers ``order[a, 1:n]``,
        a's sorted neighbours (n = min(k, ``CenterGeometry.SORTED_NEIGHBOURS``)).
    far_bound : (k,) float64, read: a lower bound on the distance from center a to
        each of the rest, ``order[a, n:]`` (``cc_bound[a, n]``; inf when n = k).
    labels : (n_samples,) int32, read and updated in place.
    upper : (n_samples,) float64, read and updated: bound on the distance to its center.
    lower : (n_samples,) float64, read and updated: bound on the second nearest distance.
    sums : (n_chunks, k, n_features) float64, read and updated: weighted sums per chunk.
    weights : (n_chunks, k) float64, read and updated: their weights per chunk.
    changed : (n_chunks,) int64, written: rows of chunk c that changed label.
    chunk_rows : int, rows per chunk (CHUNK_ROWS); n_chunks = ceil(n_samples / chunk_rows).
    n_threads : int, OpenMP threads over the chunks.

    Returns nothing. Thread safety: keeps no module-level state and writes only
    ``labels``, ``upper``, ``lower``, ``sums``, ``weights`` and ``changed``, so it is
    safe to call concurrently on separate buffers, which must not be shared; arrays
    it only reads may be shared if nobody writes them meanwhile.
    """
    n = X.shape[0]
    #omp parallel for schedule(dynamic) num_threads(n_threads)
    for c in range(sums.shape[0]):
        changed[c] = _lloyd_chunk(X, sample_weight, centers, order, cc_bound,
                                  half_gap, upper_shift, lower_shift, near_shift, far_bound, labels, upper,
                                  lower, sums, weights, c, c * chunk_rows,
                                  min(n, (c + 1) * chunk_rows))


def _sums_chunk(X, sample_weight, labels, sums, weights, c, start, stop):
    sums[c] = 0.0
    weights[c] = 0.0
    for i in range(start, stop):
        a = labels[i]
        w = sample_weight[i]
        for f in range(X.shape[1]):
            sums[c, a, f] += w * X[i, f]
        weights[c, a] += w


def cluster_sums(X, sample_weight, labels, sums, weights, chunk_rows, n_threads):
    """Weighted sum of the rows (``sums[c]``) and their weight (``weights[c]``) per
    cluster, per chunk c.

    Parameters
    ----------
    X : (n_samples, n_features) float32 or float64, read.
    sample_weight : (n_samples,) float64, read.
    labels : (n_samples,) int32, read: a cluster index per row.
    sums : (n_chunks, k, n_features) float64, written (each chunk zeroed first).
    weights : (n_chunks, k) float64, written (each chunk zeroed first).
    chunk_rows : int, rows per chunk (CHUNK_ROWS); n_chunks = ceil(n_samples / chunk_rows).
    n_threads : int, OpenMP threads over the chunks.

    Returns nothing. Thread safety: keeps no module-level state and writes only
    ``sums`` and ``weights``, so it is safe to call concurrently on separate output
    buffers, which must not be shared; arrays it only reads may be shared if nobody
    writes them meanwhile.
    """
    n = X.shape[0]
    #omp parallel for schedule(dynamic) num_threads(n_threads)
    for c in range(sums.shape[0]):
        _sums_chunk(X, sample_weight, labels, sums, weights, c, c * chunk_rows,
                    min(n, (c + 1) * chunk_rows))


def _moments_chunk(X, sample_weight, origin, moments, c, start, stop):
    moments[c] = 0.0
    for i in range(start, stop):
        w = sample_weight[i]
        for f in range(X.shape[1]):
            t = X[i, f] - origin[f]
            moments[c, 0, f] += w * t
            moments[c, 1, f] += w * t * t


def weighted_moments(X, sample_weight, origin, moments, chunk_rows, n_threads):
    """Per chunk c, ``moments[c, 0]`` = sum of w (x - origin) and ``moments[c, 1]`` =
    sum of w (x - origin)^2, per feature. An origin inside the data (a row of X)
    keeps the variance computed from them free of cancellation.

    Parameters
    ----------
    X : (n_samples, n_features) float32 or float64, read.
    sample_weight : (n_samples,) float64, read.
    origin : (n_features,) float64, read (the driver passes X[0]).
    moments : (n_chunks, 2, n_features) float64, written (each chunk zeroed first).
    chunk_rows : int, rows per chunk (CHUNK_ROWS); n_chunks = ceil(n_samples / chunk_rows).
    n_threads : int, OpenMP threads over the chunks.

    Returns nothing. Thread safety: keeps no module-level state and writes only
    ``moments``, so it is safe to call concurrently on separate ``moments`` buffers,
    which must not be shared; arrays it only reads may be shared if nobody writes
    them meanwhile.
    """
    n = X.shape[0]
    #omp parallel for schedule(dynamic) num_threads(n_threads)
    for c in range(moments.shape[0]):
        _moments_chunk(X, sample_weight, origin, moments, c, c * chunk_rows,
                       min(n, (c + 1) * chunk_rows))
