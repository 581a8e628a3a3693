"""Pythran kernel for greedy k-means++ seeding (Arthur & Vassilvitskii, with local trials).

Plain Python compiled by Pythran (OpenMP); the tests also import it uncompiled.
The whole loop runs here: in Python, k steps of a few small calls cost more than
the distances themselves at k = 256 on a few thousand colors.

Each point keeps ``closest_sq``, its squared distance to the nearest chosen
center, and ``closest``, that center's index. A candidate ``c`` can only bring a
point closer if ``|c - centers[closest]|^2 < 4 * closest_sq`` (triangle
inequality), so once a few centers are chosen most distances are never computed.
Potentials (sums of ``sample_weight * closest_sq``) are kept per chunk of
``chunk_rows`` rows and summed in chunk order: the thread count never changes a
result. Random numbers come from the caller, so a seed reproduces a run. Inner
loops are written out: under OpenMP, Pythran counts references atomically and
per-point calls that pass arrays are slow.

Compiled, each exported kernel runs with the GIL released (Pythran's generated
wrapper releases it around the call), so Python threads can run kernels at once.
"""
import numpy as np

#pythran export kmeans_plusplus(float32[:,:] order(C), float64[:], float64[:,:] order(C), int, float64[:,:] order(C), int64[:], float64[:], int64[:], float64[:], float64[:,:] order(C), float64[:,:] order(C), float64[:,:] order(C), float64[:], int64[:], float64[:,:] order(C), float64[:,:] order(C), float64[:], int, int)
#pythran export kmeans_plusplus(float64[:,:] order(C), float64[:], float64[:,:] order(C), int, float64[:,:] order(C), int64[:], float64[:], int64[:], float64[:], float64[:,:] order(C), float64[:,:] order(C), float64[:,:] order(C), float64[:], int64[:], float64[:,:] order(C), float64[:,:] order(C), float64[:], int, int)


def _block_box(X, block_lo, block_hi, c, start, stop):
    for f in range(X.shape[1]):
        block_lo[c, f] = X[start, f]
        block_hi[c, f] = X[start, f]
    for i in range(start + 1, stop):
        for f in range(X.shape[1]):
            block_lo[c, f] = min(block_lo[c, f], X[i, f])
            block_hi[c, f] = max(block_hi[c, f], X[i, f])


def _add_center_chunk(X, sample_weight, closest_sq, closest, centers, index, gaps,
                      potentials, block_lo, block_hi, block_far, c, start, stop):
    # No row of a block whose box is as far from the center as its farthest row
    # from its own center can move, so its potential stays as it is. Rounding is
    # monotone, so no row's computed distance is below the box's. Written out: a
    # helper taking the arrays cost more than the skip saved.
    box = 0.0
    for f in range(X.shape[1]):
        v = centers[index, f]
        t = max(block_lo[c, f] - v, v - block_hi[c, f], 0.0)
        box += t * t
    if box >= block_far[c]:
        return
    pot = 0.0
    far = 0.0
    for i in range(start, stop):
        if gaps[closest[i]] < 4.0 * closest_sq[i]:
            d = 0.0
            for f in range(X.shape[1]):
                diff = X[i, f] - centers[index, f]
                d += diff * diff
            if d < closest_sq[i]:
                closest_sq[i] = d
                closest[i] = index
        pot += sample_weight[i] * closest_sq[i]
        far = max(far, closest_sq[i])
    potentials[c] = pot
    block_far[c] = far


def _trial_chunk(X, sample_weight, closest_sq, closest, candidates, gaps, potentials,
                 block_lo, block_hi, block_far, block_potential, c, start, stop):
    # One candidate at a time, summed in a local: adding to potentials[c, t] row by
    # row wrote a cache line that the other thread's chunks share (two threads took
    # 1.2-2.7x the time of one). A block too far from a candidate keeps its
    # potential: the same sum, in the same order, as the loop would make.
    for t in range(candidates.shape[0]):
        box = 0.0
        for f in range(X.shape[1]):
            v = candidates[t, f]
            u = max(block_lo[c, f] - v, v - block_hi[c, f], 0.0)
            box += u * u
        if box >= block_far[c]:
            potentials[c, t] = block_potential[c]
            continue
        pot = 0.0
        for i in range(start, stop):
            d = closest_sq[i]
            if gaps[t, closest[i]] < 4.0 * d:
                e = 0.0
                for f in range(X.shape[1]):
                    diff = X[i, f] - candidates[t, f]
                    e += diff * diff
                d = min(d, e)
            pot += sample_weight[i] * d
        potentials[c, t] = pot


def _draw_row(values, weights, use_values, chunk_totals, target, chunk_rows):
    """The row where the running sum of mass (values * weights, or weights alone
    unless ``use_values``) passes ``target``: a chunk from ``chunk_totals``, then a
    row inside it. Never a row of zero mass."""
    # Parameters are never assigned to: Pythran would re-type them per call site.
    n_chunks = chunk_totals.shape[0]
    remaining = float(target)
    c = 0
    while c < n_chunks - 1 and remaining >= chunk_totals[c]:
        remaining -= chunk_totals[c]
        c += 1
    while c > 0 and not chunk_totals[c] > 0.0:  # overshot into empty chunks: step back
        c -= 1
        remaining = np.inf
    start = c * chunk_rows
    stop = min(values.shape[0], start + chunk_rows)
    chosen = -1
    for i in range(start, stop):
        mass = values[i] * weights[i] if use_values else weights[i]
        if mass > 0.0:
            chosen = i  # rounding may carry the target past the end: keep the last
            if remaining < mass:
                break
            remaining -= mass
    return chosen


def kmeans_plusplus(X, sample_weight, centers, n_preset, draws, indices, closest_sq, closest,
                    potentials, trials, candidates, candidate_gaps, center_gaps, rows,
                    block_lo, block_hi, block_far, chunk_rows, n_threads):
    """Choose ``centers[n_preset:]`` greedily; returns how many centers there are.

    ``centers[:n_preset]`` are given. ``draws`` (n_clusters, n_trials) holds
    uniform numbers in [0, 1): row 0 picks the first center by weight when none
    is given, row c the candidates for center c. ``indices[c]`` gets the row of X
    chosen as center c (-1 for given ones). Fewer centers than asked are returned
    when every point of positive weight already sits on a center. The rest are
    work buffers the driver allocates (Pythran types them from the signature):
    closest_sq (n,) = inf, closest (n,), potentials (n_chunks,), trials
    (n_chunks, n_trials), candidates (n_trials, n_features), candidate_gaps
    (n_trials, n_clusters), center_gaps (n_clusters,), rows (n_trials,), block_lo
    and block_hi (n_chunks, n_features), block_far (n_chunks,).

    Each block of ``chunk_rows`` rows keeps its bounding box and its rows' largest
    squared distance to their centers; a center or candidate at least that far
    from the box moves none of them, so the block is skipped (at k = 256 on 4000
    colors most blocks, most of the time). The sums are the ones the rows would
    give: results do not change.

    Parameters
    ----------
    X : (n, n_features) float32 or float64, read.
    sample_weight : (n,) float64, read.
    centers : (k, n_features) float64 (k = n_clusters): [:n_preset] read, the rest written.
    n_preset : int, number of given centers, 0 <= n_preset <= k.
    draws : (k, n_trials) float64, read: uniform numbers in [0, 1).
    indices : (k,) int64, written: row of X of each center, -1 for given ones.
    closest_sq : (n,) float64, read and updated: must be all inf on entry.
    closest : (n,) int64, read and updated: nearest chosen center; all 0 on entry.
    potentials : (n_chunks,) float64, work buffer, written.
    trials : (n_chunks, n_trials) float64, work buffer, written.
    candidates : (n_trials, n_features) float64, work buffer, written.
    candidate_gaps : (n_trials, k) float64, work buffer, written.
    center_gaps : (k,) float64, work buffer, written.
    rows : (n_trials,) int64, work buffer, written.
    block_lo, block_hi : (n_chunks, n_features) float64, work buffers, written.
    block_far : (n_chunks,) float64, work buffer, written.
    chunk_rows : int, rows per chunk (BLOCK_ROWS = 64); n_chunks = ceil(n / chunk_rows).
    n_threads : int, OpenMP threads over the chunks.

    Returns the number of centers, an int <= k; the rows of ``centers`` and
    ``indices`` beyond it are not written. Thread safety: keeps no module-level
    state and writes only the arrays passed to it, so it is safe to call
    concurrently on separate buffers, which must not be shared; ``X``,
    ``sample_weight`` and ``draws`` may be shared if nobody writes them meanwhile.
    """
    n, n_features = X.shape
    k, n_trials = draws.shape
    n_chunks = potentials.shape[0]
    #omp parallel for schedule(static) num_threads(n_threads)
    for c in range(n_chunks):
        _block_box(X, block_lo, block_hi, c, c * chunk_rows, min(n, (c + 1) * chunk_rows))
        block_far[c] = np.inf
    n_given = n_preset
    if n_preset == 0:
        for c in range(n_chunks):
            potentials[c] = 0.0
            for i in range(c * chunk_rows, min(n, (c + 1) * chunk_rows)):
                potentials[c] += sample_weight[i]
        goal = draws[0, 0] * np.sum(potentials)
        first = _draw_row(closest_sq, sample_weight, False, potentials, goal, chunk_rows)
        for f in range(n_features):
            centers[0, f] = X[first, f]
        indices[0] = first
        n_given = 1
    for index in range(n_given):
        if index < n_preset:
            indices[index] = -1
        center_gaps[0] = 0.0
        for j in range(index):
            d = 0.0
            for f in range(n_features):
                diff = centers[index, f] - centers[j, f]
                d += diff * diff
            center_gaps[j] = d
        #omp parallel for schedule(dynamic) num_threads(n_threads)
        for c in range(n_chunks):
            _add_center_chunk(X, sample_weight, closest_sq, closest, centers, index,
                              center_gaps, potentials, block_lo, block_hi, block_far, c, c * chunk_rows,
                              min(n, (c + 1) * chunk_rows))
    for index in range(n_given, k):
        total = np.sum(potentials)
        if not total > 0.0:
            return index
        for t in range(n_trials):
            goal = draws[index, t] * total
            row = _draw_row(closest_sq, sample_weight, True, potentials, goal, chunk_rows)
            rows[t] = row
            for f in range(n_features):
                candidates[t, f] = X[row, f]
            for j in range(index):  # written out: a helper call per pair cost more than the pair
                d = 0.0
                for f in range(n_features):
                    diff = candidates[t, f] - centers[j, f]
                    d += diff * diff
                candidate_gaps[t, j] = d
        #omp parallel for schedule(dynamic) num_threads(n_threads)
        for c in range(n_chunks):
            _trial_chunk(X, sample_weight, closest_sq, closest, candidates, candidate_gaps,
                         trials, block_lo, block_hi, block_far, potentials, c, c * chunk_rows,
                         min(n, (c + 1) * chunk_rows))
        best = 0
        best_potential = np.inf
        for t in range(n_trials):
            potential = np.sum(trials[:, t])
            if potential < best_potential:
                best_potential = potential
                best = t
        for j in range(index):
            center_gaps[j] = candidate_gaps[best, j]
        for f in range(n_features):
            centers[index, f] = candidates[best, f]
        indices[index] = rows[best]
        #omp parallel for schedule(dynamic) num_threads(n_threads)
        for c in range(n_chunks):
            _add_center_chunk(X, sample_weight, closest_sq, closest, centers, index,
                              center_gaps, potentials, block_lo, block_hi, block_far, c, c * chunk_rows,
                              min(n, (c + 1) * chunk_rows))
    return k
