"""Weighted greedy k-means++ seeding (Arthur & Vassilvitskii, with local trials)."""
import warnings

import numpy as np

from . import _kernels
from ._parallel import CHUNK_ROWS, n_chunks, resolve_n_threads
from ._validation import check_n_clusters, check_random_state, check_sample_weight, check_samples
from .errors import FewDistinctPointsWarning


def kmeans_plusplus(X, n_clusters, *, sample_weight=None, random_state=None, n_local_trials=None,
                    n_threads=None):
    """Choose initial centers by greedy k-means++.

    Each new center is the best, by the resulting potential, of ``n_local_trials``
    points drawn with probability proportional to ``sample_weight * D(x)^2``.

    Parameters
    ----------
    X : array_like (n_samples, n_features)
    n_clusters : int
    sample_weight : array_like (n_samples,), optional
        Non-negative weights with a positive sum; None means all ones.
    random_state : None, int or numpy.random.Generator
    n_local_trials : int, optional
        Candidates per center; default ``2 + int(ln(n_clusters))``.
    n_threads : int, optional
        Default: ``OMP_NUM_THREADS`` or the usable cores.

    Returns
    -------
    centers : ndarray (n_centers, n_features), dtype of X (float32 for integers)
    indices : ndarray (n_centers,)
        Rows of X chosen as centers. ``n_centers`` is ``n_clusters`` unless X has
        fewer distinct points of positive weight; then it is their number and a
        :class:`FewDistinctPointsWarning` is issued.

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
    rng = check_random_state(random_state)
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    centers, indices = _kmeans_plusplus(X, w, n_clusters, rng, int(n_local_trials),
                                        resolve_n_threads(n_threads))
    return centers.astype(X.dtype), indices


def _sample_rows(chunk_potentials, row_potential, n_rows, rng, size):
    """Draw ``size`` rows with probability proportional to their potential.

    A chunk is chosen from the per-chunk potentials, then a row inside it, so a
    draw costs O(n_chunks + CHUNK_ROWS) instead of a cumulative sum over all rows.
    """
    cumulative = np.cumsum(chunk_potentials)
    targets = rng.uniform(size=size) * cumulative[-1]
    chunks = np.minimum(np.searchsorted(cumulative, targets, side="right"), len(cumulative) - 1)
    rows = np.empty(size, dtype=np.intp)
    for t, (chunk, target) in enumerate(zip(chunks, targets)):
        start = chunk * CHUNK_ROWS
        stop = min(n_rows, start + CHUNK_ROWS)
        potential = row_potential(start, stop)
        offset = target - (cumulative[chunk - 1] if chunk > 0 else 0.0)
        # Rounding may put the target past the chunk's own sum: never pick a row
        # of zero potential (a point that is already a center).
        last_positive = np.flatnonzero(potential > 0)[-1]
        rows[t] = start + min(np.searchsorted(np.cumsum(potential), offset, side="right"), last_positive)
    return rows


def _kmeans_plusplus(X, sample_weight, n_clusters, rng, n_local_trials, n_threads, preset=None):
    """Trusting driver: X C-contiguous float, weights float64 with a positive sum.

    ``preset`` (m, n_features) float64 centers, if given, are taken as the first m
    centers (their indices are -1) and the rest are chosen around them.
    """
    n_samples, n_features = X.shape
    centers = np.empty((n_clusters, n_features))
    indices = np.full(n_clusters, -1, dtype=np.intp)
    closest_sq = np.full(n_samples, np.inf)
    closest = np.zeros(n_samples, dtype=np.int32)
    potentials = np.empty(n_chunks(n_samples))
    trial_potentials = np.empty((len(potentials), n_local_trials))

    def choose(c, center, gaps):
        centers[c] = center
        _kernels.seeding.add_center(X, sample_weight, closest_sq, closest, centers[c], c,
                                    gaps, potentials, CHUNK_ROWS, n_threads)

    n_preset = 0 if preset is None else len(preset)
    for c in range(n_preset):
        choose(c, preset[c], ((centers[:max(c, 1)] - preset[c]) ** 2).sum(axis=1))
    if n_preset == 0:
        weight_chunks = np.add.reduceat(sample_weight, np.arange(0, n_samples, CHUNK_ROWS))
        first = _sample_rows(weight_chunks, lambda a, b: sample_weight[a:b], n_samples, rng, 1)[0]
        indices[0] = first
        choose(0, X[first], np.zeros(1))
        n_preset = 1

    def row_potential(start, stop):
        return sample_weight[start:stop] * closest_sq[start:stop]

    for c in range(n_preset, n_clusters):
        if not potentials.sum() > 0:
            warnings.warn(
                f"X has only {c} distinct points of positive weight, fewer than "
                f"n_clusters={n_clusters}; returning {c} centers",
                FewDistinctPointsWarning, stacklevel=3,
            )
            return centers[:c], indices[:c]
        candidate_ids = _sample_rows(potentials, row_potential, n_samples, rng, n_local_trials)
        candidates = X[candidate_ids].astype(np.float64)
        gaps = ((candidates[:, None, :] - centers[None, :c, :]) ** 2).sum(axis=2)
        _kernels.seeding.trial_potentials(X, sample_weight, closest_sq, closest, candidates,
                                          gaps, trial_potentials, CHUNK_ROWS, n_threads)
        best = int(np.argmin(trial_potentials.sum(axis=0)))
        indices[c] = candidate_ids[best]
        choose(c, candidates[best], gaps[best])
    return centers, indices
