"""Weighted greedy k-means++ seeding (Arthur & Vassilvitskii, with local trials)."""

import numpy as np

from .. import kernels
from .._parallel import resolve_n_threads
from .._validation import check_n_clusters, check_random_state, check_sample_weight, check_samples
from ..errors import InputError, warn_few_distinct_points

# The kernel keeps the potential of every block of rows and draws a candidate by
# scanning block totals, then the rows of one block: with small blocks a draw
# scans far fewer rows (k = 256 on 4000 colors: 16 ms against 20 ms for 4096-row
# blocks). Blocks are fixed, so the thread count still changes nothing.
BLOCK_ROWS = 64
# Rows per thread: each center runs two parallel loops, and waking a thread for one
# costs tens of microseconds; two threads paid from about 30 000 rows on (8000
# colors at k = 256: 16 ms on one thread, 22 ms on two; 64 000: 138 ms and 81 ms).
ROWS_PER_THREAD = 16384


def kmeans_plusplus(X, n_clusters, *, sample_weight=None, x_squared_norms=None, random_state=None,
                    n_local_trials=None, n_threads=None):
    """Choose initial centers by greedy k-means++.

    Each new center is the best, by the resulting potential, of ``n_local_trials``
    points drawn with probability proportional to ``sample_weight * D(x)^2``.

    Parameters
    ----------
    X : array_like (n_samples, n_features)
    n_clusters : int
    sample_weight : array_like (n_samples,), optional
        Non-negative weights with a positive sum; None means all ones.
    x_squared_norms : array_like (n_samples,), optional
        Accepted for scikit-learn compatibility and checked for length; the
        distances are computed directly, so it is not used.
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
    n_local_trials : int, optional
        Candidates per center; default ``2 + int(ln(n_clusters))``.
    n_threads : int, optional
        Default: ``OMP_NUM_THREADS`` or the usable cores.

    Returns
    -------
    centers : ndarray (n_clusters, n_features), dtype of X (float32 for integers)
    indices : ndarray (n_clusters,)
        Rows of X chosen as centers. When X has fewer distinct points of positive
        weight than ``n_clusters``, each is a center once and the last is repeated
        to fill the rows (as in scikit-learn), with a :class:`FewDistinctPointsWarning`.

    Examples
    --------
    >>> import numpy as np, quantize
    >>> X = np.array([[0, 0], [0, 1], [10, 10], [10, 11]], dtype=float)
    >>> centers, indices = quantize.kmeans_plusplus(X, 2, random_state=0)
    >>> sorted(centers[:, 0].tolist())
    [0.0, 10.0]
    """
    X = check_samples(X)
    n_clusters = check_n_clusters(n_clusters)
    w = check_sample_weight(sample_weight, X.shape[0])
    if x_squared_norms is not None and len(x_squared_norms) != X.shape[0]:
        raise InputError(f"The length of x_squared_norms {len(x_squared_norms)} should be equal to the "
                         f"length of n_samples {X.shape[0]}.")
    rng = check_random_state(random_state)
    if n_local_trials is None:
        n_local_trials = default_local_trials(n_clusters)
    centers, indices = plusplus_centers(X, w, n_clusters, rng, int(n_local_trials),
                                        resolve_n_threads(n_threads))
    if len(centers) < n_clusters:
        n_distinct, copies = len(centers), n_clusters - len(centers)
        warn_few_distinct_points(n_distinct, n_clusters,
                                 f"{n_distinct} centers and {copies} {'copies' if copies > 1 else 'copy'}")
        # As scikit-learn: n_clusters rows, so the centers can seed KMeans(init=...).
        centers, indices = filled_with_copies(centers, n_clusters), filled_with_copies(indices, n_clusters)
    return centers.astype(X.dtype), indices


def filled_with_copies(rows, n):
    """``rows`` with its last row repeated up to ``n`` rows (one center per distinct point, then copies)."""
    return np.concatenate([rows, np.repeat(rows[-1:], n - len(rows), axis=0)])


def default_local_trials(n_clusters):
    """Candidates per new center, as scikit-learn chooses: 2 + ln(k)."""
    return 2 + int(np.log(n_clusters))


def plusplus_centers(X, sample_weight, n_clusters, rng, n_local_trials, n_threads, preset=None):
    """Trusting driver: X C-contiguous float, weights float64 with a positive sum.

    ``preset`` (m, n_features) float64 centers, if given, are taken as the first m
    centers (their indices are -1) and the rest are chosen around them. With
    fewer distinct points of positive weight than ``n_clusters``, returns one
    center per point (the caller decides whether to warn).
    """
    centers = np.zeros((n_clusters, X.shape[1]))
    n_preset = 0 if preset is None else len(preset)
    centers[:n_preset] = preset if n_preset else 0.0
    indices = np.full(n_clusters, -1, dtype=np.int64)
    draws = rng.random((n_clusters, n_local_trials))
    n = len(X)
    n_blocks = -(-n // BLOCK_ROWS)
    n_centers = kernels.seeding.kmeans_plusplus(
        X, sample_weight, centers, n_preset, draws, indices,
        np.full(n, np.inf), np.zeros(n, dtype=np.int64), np.zeros(n_blocks),
        np.zeros((n_blocks, n_local_trials)), np.zeros((n_local_trials, X.shape[1])),
        np.zeros((n_local_trials, n_clusters)), np.zeros(n_clusters),
        np.zeros(n_local_trials, dtype=np.int64), np.empty((n_blocks, X.shape[1])),
        np.empty((n_blocks, X.shape[1])), np.empty(n_blocks), BLOCK_ROWS,
        max(1, min(n_threads, n // ROWS_PER_THREAD)))
    return centers[:n_centers], indices[:n_centers]
