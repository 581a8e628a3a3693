"""Pythran kernels for Lloyd's k-means: nearest-center search and one Lloyd step.

Plain Python on purpose: the build compiles this file with Pythran (OpenMP), and
the tests import it uncompiled to compare both on tiny inputs. Kernels trust their
inputs; the public functions in ``quantize.lloyd`` validate them.

Every kernel works on fixed chunks of ``chunk_rows`` rows. Each chunk writes its
own partial results and the driver reduces them in chunk order, so the number of
threads never changes a result. Distances are computed in float64 whatever the
dtype of ``X``.

The nearest-center search uses the geometry of the centers: ``order[a]`` lists
all centers by distance from center ``a`` (``order[a, 0] == a``) and
``cc_sorted[a, m]`` is the distance from ``a`` to ``order[a, m]``. Starting from
a hint ``a`` at distance ``r`` from the point, no center ``j`` with
``cc(a, j) - r >= radius`` can be closer than ``radius`` (triangle inequality),
so the scan stops there. Pixel clouds are 3- to 5-dimensional and the hint is
usually right, so most centers are never looked at.
"""
import numpy as np

#pythran export assign_nearest(float32[:,:], float64[:,:], int64[:,:], float64[:,:], int32[:], float64[:], float64[:], bool, int, int)
#pythran export assign_nearest(float64[:,:], float64[:,:], int64[:,:], float64[:,:], int32[:], float64[:], float64[:], bool, int, int)
#pythran export lloyd_step(float32[:,:], float64[:], float64[:,:], int64[:,:], float64[:,:], float64[:], float64[:], float64[:], int32[:], float64[:], float64[:], float64[:,:,:], float64[:,:], int64[:], int, int)
#pythran export lloyd_step(float64[:,:], float64[:], float64[:,:], int64[:,:], float64[:,:], float64[:], float64[:], float64[:], int32[:], float64[:], float64[:], float64[:,:,:], float64[:,:], int64[:], int, int)
#pythran export cluster_sums(float32[:,:], float64[:], int32[:], float64[:,:,:], float64[:,:], int, int)
#pythran export cluster_sums(float64[:,:], float64[:], int32[:], float64[:,:,:], float64[:,:], int, int)
#pythran export labelled_sqdist(float32[:,:], float64[:,:], int32[:], float64[:], int, int)
#pythran export labelled_sqdist(float64[:,:], float64[:,:], int32[:], float64[:], int, int)
#pythran export weighted_moments(float32[:,:], float64[:], float64[:], float64[:,:,:], int, int)
#pythran export weighted_moments(float64[:,:], float64[:], float64[:], float64[:,:,:], int, int)
#pythran export dither_floyd_steinberg(float32[:,:,:], float64[:,:], int64[:,:], float64[:,:], float64[:], float64[:], int32[:,:])


def _sqdist(x, centers, j):
    d = 0.0
    for f in range(x.shape[0]):
        t = x[f] - centers[j, f]
        d += t * t
    return d


def _nearest(x, centers, order, cc_sorted, hint, hint_sq, need_second):
    """Return (best, best_sq, second_sq) for point x, scanning from center ``hint``."""
    best = hint
    best_sq = hint_sq
    second_sq = np.inf
    r = np.sqrt(hint_sq)
    for m in range(1, order.shape[1]):
        gap = cc_sorted[hint, m] - r
        if gap > 0.0:
            gap_sq = gap * gap
            if gap_sq >= second_sq or (not need_second and gap_sq >= best_sq):
                break
        j = order[hint, m]
        d = _sqdist(x, centers, j)
        if d < best_sq:
            second_sq = best_sq
            best_sq = d
            best = j
        elif d < second_sq:
            second_sq = d
    return best, best_sq, second_sq


def _assign_chunk(X, centers, order, cc_sorted, labels, dist, lower, need_second,
                  start, stop):
    # Neighbouring rows of an image are alike: the previous row's label is the hint.
    hint = 0
    for i in range(start, stop):
        hint_sq = _sqdist(X[i], centers, hint)
        best, best_sq, second_sq = _nearest(X[i], centers, order, cc_sorted,
                                            hint, hint_sq, need_second)
        labels[i] = best
        dist[i] = np.sqrt(best_sq)
        if need_second:
            lower[i] = np.sqrt(second_sq)
        hint = best


def assign_nearest(X, centers, order, cc_sorted, labels, dist, lower, need_second,
                   chunk_rows, n_threads):
    """Label every row with its nearest center; ``dist`` gets the distance to it and,
    if ``need_second``, ``lower`` the distance to the second nearest."""
    n = X.shape[0]
    n_chunks = (n + chunk_rows - 1) // chunk_rows
    #omp parallel for schedule(dynamic) num_threads(n_threads)
    for c in range(n_chunks):
        _assign_chunk(X, centers, order, cc_sorted, labels, dist, lower, need_second,
                      c * chunk_rows, min(n, (c + 1) * chunk_rows))


def _lloyd_chunk(X, sample_weight, centers, order, cc_sorted, half_gap, upper_shift,
                 lower_shift, labels, upper, lower, sums, weights, c, start, stop):
    changed = 0
    for i in range(start, stop):
        a = labels[i]
        u = upper[i] + upper_shift[a]
        l = lower[i] - lower_shift[a]
        bound = max(l, half_gap[a])
        if u > bound:
            a_sq = _sqdist(X[i], centers, a)
            u = np.sqrt(a_sq)
            if u > bound:
                best, best_sq, second_sq = _nearest(X[i], centers, order, cc_sorted,
                                                    a, a_sq, True)
                if best != a:
                    # Only a row that changes cluster touches the sums.
                    changed += 1
                    labels[i] = best
                    w = sample_weight[i]
                    for f in range(X.shape[1]):
                        sums[c, a, f] -= w * X[i, f]
                        sums[c, best, f] += w * X[i, f]
                    weights[c, a] -= w
                    weights[c, best] += w
                u = np.sqrt(best_sq)
                l = np.sqrt(second_sq)
        upper[i] = u
        lower[i] = l
    return changed


def lloyd_step(X, sample_weight, centers, order, cc_sorted, half_gap, upper_shift,
               lower_shift, labels, upper, lower, sums, weights, changed,
               chunk_rows, n_threads):
    """One Lloyd E-step with Hamerly bounds, keeping the cluster sums up to date.

    On entry ``labels``, ``upper`` and ``lower`` are valid for the previous centers,
    which moved by at most ``upper_shift[a]`` (center a) and ``lower_shift[a]`` (any
    other center), and chunk c's weighted sums per cluster are in ``sums[c]``
    (n_clusters, n_features) and ``weights[c]``. Rows whose bounds prove their label
    right are not searched. On exit the labels are those of the nearest
    ``centers``, the sums match them, and ``changed[c]`` counts chunk c's changes.
    ``half_gap[a]`` is half the distance from center a to its nearest other center.
    """
    n = X.shape[0]
    #omp parallel for schedule(dynamic) num_threads(n_threads)
    for c in range(sums.shape[0]):
        changed[c] = _lloyd_chunk(X, sample_weight, centers, order, cc_sorted,
                                  half_gap, upper_shift, lower_shift, labels, upper,
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
    cluster, per chunk c."""
    n = X.shape[0]
    #omp parallel for schedule(dynamic) num_threads(n_threads)
    for c in range(sums.shape[0]):
        _sums_chunk(X, sample_weight, labels, sums, weights, c, c * chunk_rows,
                    min(n, (c + 1) * chunk_rows))


def labelled_sqdist(X, centers, labels, out, chunk_rows, n_threads):
    """Squared distance of every row to the center it is labelled with."""
    n = X.shape[0]
    n_chunks = (n + chunk_rows - 1) // chunk_rows
    #omp parallel for schedule(dynamic) num_threads(n_threads)
    for c in range(n_chunks):
        for i in range(c * chunk_rows, min(n, (c + 1) * chunk_rows)):
            out[i] = _sqdist(X[i], centers, labels[i])


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
    keeps the variance computed from them free of cancellation."""
    n = X.shape[0]
    #omp parallel for schedule(dynamic) num_threads(n_threads)
    for c in range(moments.shape[0]):
        _moments_chunk(X, sample_weight, origin, moments, c, c * chunk_rows,
                       min(n, (c + 1) * chunk_rows))


def _diffuse(row, col, error, weight):
    for f in range(error.shape[0]):
        row[col, f] += error[f] * weight


def dither_floyd_steinberg(image, centers, order, cc_sorted, low, high, labels):
    """Label every pixel of ``image`` (M, N, C) with Floyd-Steinberg error diffusion.

    Rows are scanned in serpentine order (left to right, then right to left), so
    errors do not drift in one direction. The diffused value is clipped to
    [``low``, ``high``] per feature (the palette's range), which keeps runaway
    errors from smearing across large flat areas. Serial by nature: each pixel
    needs the error of the one before.
    """
    n_rows, n_cols, n_features = image.shape
    # Error rows padded by one column on each side: pixel col lives at col + 1.
    current = np.zeros((n_cols + 2, n_features))
    below = np.zeros((n_cols + 2, n_features))
    value = np.zeros(n_features)
    error = np.zeros(n_features)
    hint = 0
    for r in range(n_rows):
        step = 1 if r % 2 == 0 else -1
        for s in range(n_cols):
            col = s if step == 1 else n_cols - 1 - s
            for f in range(n_features):
                v = image[r, col, f] + current[col + 1, f]
                value[f] = min(max(v, low[f]), high[f])
            best, best_sq, second_sq = _nearest(value, centers, order, cc_sorted, hint,
                                                _sqdist(value, centers, hint), False)
            labels[r, col] = best
            hint = best
            for f in range(n_features):
                error[f] = value[f] - centers[best, f]
            _diffuse(current, col + 1 + step, error, 7.0 / 16.0)
            _diffuse(below, col + 1 - step, error, 3.0 / 16.0)
            _diffuse(below, col + 1, error, 5.0 / 16.0)
            _diffuse(below, col + 1 + step, error, 1.0 / 16.0)
        current, below = below, current
        below[:] = 0.0
