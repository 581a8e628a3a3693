"""Weighted k-means by Lloyd's algorithm with Hamerly bounds: the KMeans estimator.

Convergence, as in scikit-learn: stop when no label changed during an iteration
("strict" convergence) or when the squared center shift, summed over centers, is
at most ``tol`` times the mean (weighted) variance of the features. After a
tolerance stop the labels are recomputed so they match the returned centers.
"""
import warnings
from dataclasses import dataclass

import numpy as np

from . import _kernels
from ._parallel import CHUNK_ROWS, n_chunks, resolve_n_threads, threads_for
from ._validation import (check_centers, check_n_clusters, check_positive_int, check_random_state,
                          check_sample_weight, check_samples, check_tol)
from .errors import FewDistinctPointsWarning, InputError
from .seeding import _kmeans_plusplus


class _Geometry:
    """Distances between centers, in each center's neighbour order, for the pruned
    nearest-center search (see _nearest_pythran). The first ``update`` sorts each
    row (NumPy's sort is 6x Pythran's here); later ones repair the order of the
    SORTED_NEIGHBOURS nearest, as Lloyd moves centers little per step."""

    SORTED_NEIGHBOURS = 32

    def __init__(self, k):
        self.order = None
        self.cc_sorted = np.empty((k, k))  # (k, k) distance bounds along each row's order
        self.half_gap = np.empty(k)        # half the distance to the nearest other center

    def update(self, centers, n_threads):
        if self.order is None:
            sqdist = ((centers[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
            np.fill_diagonal(sqdist, -1.0)  # each center first in its own row
            self.order = np.argsort(sqdist, axis=1)
        n_threads = threads_for(len(centers) ** 2, n_threads)  # the work grows with pairs of centers
        _kernels.nearest.center_geometry(centers, self.order, self.cc_sorted,
                                         min(len(centers), self.SORTED_NEIGHBOURS), n_threads)
        self.half_gap[:] = self.cc_sorted[:, 1] / 2 if len(centers) > 1 else np.inf
        return self

    @classmethod
    def of(cls, centers, n_threads=1):
        return cls(len(centers)).update(centers, n_threads)


@dataclass(frozen=True)
class LloydResult:
    centers: np.ndarray  # (k, n_features) float64
    labels: np.ndarray   # (n_samples,) int32
    inertia: float
    n_iter: int
    converged: bool


def assign_labels(X, centers, n_threads, need_second=False, geometry=None):
    """Nearest center of every row of a validated X: (labels, distances[, second]).
    ``geometry``, if given, is the _Geometry of ``centers``."""
    n = X.shape[0]
    labels = np.empty(n, dtype=np.int32)
    dist = np.empty(n)
    second = np.empty(n if need_second else 0)
    if geometry is None:
        geometry = _Geometry.of(centers, n_threads)
    _kernels.nearest.assign_nearest(X, centers, geometry.order, geometry.cc_sorted, labels, dist,
                                  second, need_second, CHUNK_ROWS, threads_for(n, n_threads))
    return (labels, dist, second) if need_second else (labels, dist)


def labelled_sqdist(X, centers, labels, n_threads):
    out = np.empty(X.shape[0])
    n_threads = threads_for(X.shape[0], n_threads)
    _kernels.nearest.labelled_sqdist(X, centers, labels, out, CHUNK_ROWS, n_threads)
    return out


def weighted_tolerance(X, sample_weight, tol, n_threads):
    """``tol`` scaled by the mean weighted variance of the features."""
    if tol == 0:
        return 0.0
    n_threads = threads_for(X.shape[0], n_threads)
    moments = np.empty((n_chunks(X.shape[0]), 2, X.shape[1]))
    _kernels.lloyd.weighted_moments(X, sample_weight, X[0].astype(np.float64), moments,
                                    CHUNK_ROWS, n_threads)
    first, second = moments.sum(axis=0) / sample_weight.sum()
    return float(np.mean(second - first ** 2) * tol)


def _relocate_empty(sums, weights, X, sample_weight, centers, labels, fixed, n_threads):
    """Move each empty cluster to one of the worst-fitting points (largest squared
    distance to its center, positive weight), removing that point from its old
    cluster's sums. Returns the clusters that could not be relocated because every
    point already sits on a center."""
    empty = np.flatnonzero((weights == 0) & ~fixed)
    if empty.size == 0:
        return empty
    sqdist = labelled_sqdist(X, centers, labels, n_threads)
    sqdist[sample_weight == 0] = 0.0
    far = np.argsort(sqdist, kind="stable")[::-1][: empty.size]
    far = far[sqdist[far] > 0]
    for cluster, row in zip(empty, far):
        old = labels[row]
        w = sample_weight[row]
        sums[old] -= w * X[row]
        weights[old] -= w
        sums[cluster] = w * X[row]
        weights[cluster] = w
    return empty[far.size:]


def _shifts(old, new):
    """Per-center bound shifts: own move, and the largest move of any other center."""
    shift = np.sqrt(((new - old) ** 2).sum(axis=1))
    if len(shift) == 1:
        return shift, np.zeros(1)
    top_two = np.argsort(shift)[-2:]
    other = np.full_like(shift, shift[top_two[1]])
    other[top_two[1]] = shift[top_two[0]]
    return shift, other


def lloyd(X, sample_weight, centers, max_iter, tol, n_threads, fixed=None):
    """Trusting driver: run Lloyd iterations from ``centers`` (float64, not modified).

    Centers where the boolean mask ``fixed`` is true never move (must-keep colors).

    Each iteration is an M-step (centers from the cluster sums) then an E-step (labels
    for the new centers), which also updates the sums for the rows that moved.
    """
    n, n_features = X.shape
    k = len(centers)
    geometry = _Geometry.of(centers, n_threads)
    labels, upper, lower = assign_labels(X, centers, n_threads, need_second=True, geometry=geometry)
    sums = np.empty((n_chunks(n), k, n_features))
    weights = np.empty((n_chunks(n), k))
    changed = np.empty(n_chunks(n), dtype=np.int64)
    _kernels.lloyd.cluster_sums(X, sample_weight, labels, sums, weights, CHUNK_ROWS,
                                threads_for(n, n_threads))
    movable = np.ones(k, dtype=bool) if fixed is None else ~fixed
    strict = stuck = False
    for n_iter in range(1, max_iter + 1):
        cluster_sums = sums.sum(axis=0)
        cluster_weights = weights.sum(axis=0)
        stuck_clusters = _relocate_empty(cluster_sums, cluster_weights, X, sample_weight,
                                         centers, labels, ~movable, n_threads)
        filled = (cluster_weights > 0) & movable
        new_centers = centers.copy()
        new_centers[filled] = cluster_sums[filled] / cluster_weights[filled, None]
        upper_shift, lower_shift = _shifts(centers, new_centers)
        centers = new_centers
        if n_iter > 1 and changed.sum() == 0:
            strict = True  # the labels did not change: the centers are final
            break
        if stuck_clusters.size:  # every point sits on a center: nothing left to improve
            stuck = True
            break
        if (upper_shift ** 2).sum() <= tol or n_iter == max_iter:
            break
        _e_step(X, sample_weight, centers, geometry, upper_shift, lower_shift, labels, upper,
                lower, sums, weights, changed, n_threads)
    if not strict:  # bring the labels up to date with the final centers
        _e_step(X, sample_weight, centers, geometry, upper_shift, lower_shift, labels, upper,
                lower, sums, weights, changed, n_threads)
    inertia = float(np.sum(sample_weight * labelled_sqdist(X, centers, labels, n_threads)))
    converged = strict or stuck or n_iter < max_iter
    return LloydResult(centers, labels, inertia, n_iter, converged)


def _e_step(X, sample_weight, centers, geometry, upper_shift, lower_shift, labels, upper, lower,
            sums, weights, changed, n_threads):
    geometry.update(centers, n_threads)
    _kernels.lloyd.lloyd_step(X, sample_weight, centers, geometry.order, geometry.cc_sorted,
                              geometry.half_gap, upper_shift, lower_shift, labels, upper, lower,
                              sums, weights, changed, CHUNK_ROWS, threads_for(len(X), n_threads))


def drop_empty_clusters(result, X, sample_weight, n_threads):
    """Remove clusters with no weight (only left when there are fewer distinct
    points than clusters), relabel against the remaining centers, and warn."""
    used = np.bincount(result.labels, weights=sample_weight, minlength=len(result.centers)) > 0
    if used.all():
        return result
    warnings.warn(
        f"X has only {used.sum()} distinct points of positive weight, fewer than "
        f"n_clusters={len(result.centers)}; returning {used.sum()} clusters",
        FewDistinctPointsWarning, stacklevel=4,
    )
    centers = result.centers[used]
    return LloydResult(centers, assign_labels(X, centers, n_threads)[0], result.inertia,
                       result.n_iter, result.converged)


def check_init(init, n_clusters, n_features):
    """'k-means++', 'random', or validated (n_clusters, n_features) float64 centers."""
    if isinstance(init, str):
        if init not in ("k-means++", "random"):
            raise InputError(f"init must be 'k-means++', 'random' or an array, got {init!r}")
        return init
    return check_centers(init, n_clusters, n_features)


def initial_centers(X, sample_weight, n_clusters, init, rng, n_threads):
    """Starting centers (n_clusters, n_features) float64 from a checked ``init``;
    k-means++ may return fewer, one per distinct point, with a warning."""
    if not isinstance(init, str):
        return init
    if init == "k-means++":
        return _kmeans_plusplus(X, sample_weight, n_clusters, rng, 2 + int(np.log(n_clusters)),
                                n_threads)[0]
    p = sample_weight / sample_weight.sum()
    rows = rng.choice(len(X), size=n_clusters, replace=(p > 0).sum() < n_clusters, p=p)
    return X[rows].astype(np.float64)


class FittedCenters:
    """What a fitted model does with its centers (``self._centers64``): predict, score."""

    def _check_fitted_input(self, X):
        if not hasattr(self, "_centers64"):
            raise InputError(f"this {type(self).__name__} is not fitted yet; call fit first")
        X = check_samples(X)
        if X.shape[1] != self._centers64.shape[1]:
            raise InputError(
                f"X has {X.shape[1]} features, but this model was fitted with {self._centers64.shape[1]}"
            )
        return X

    def predict(self, X):
        """Index of the nearest center for each row of X (n_samples,) int32."""
        X = self._check_fitted_input(X)
        return assign_labels(X, self._centers64, resolve_n_threads(self.n_threads))[0]

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the weighted inertia of X on the fitted centers."""
        X = self._check_fitted_input(X)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        _, dist = assign_labels(X, self._centers64, resolve_n_threads(self.n_threads))
        return -float(np.sum(sample_weight * dist * dist))


class KMeans(FittedCenters):
    """Weighted k-means clustering (Lloyd's algorithm, accelerated with bounds).

    The interface follows scikit-learn's ``KMeans``.

    Parameters
    ----------
    n_clusters : int, default 8
    init : {"k-means++", "random"} or array_like (n_clusters, n_features)
    n_init : int, default 1
        Runs from different seeds; the one with the lowest inertia is kept.
    max_iter : int, default 300
    tol : float, default 1e-4
        Relative to the mean weighted variance of the features.
    random_state : None, int or numpy.random.Generator
    n_threads : int, optional
        Default: ``OMP_NUM_THREADS`` or the usable cores. Results do not depend on it.

    Attributes
    ----------
    cluster_centers_ : ndarray (n_clusters, n_features), dtype of X
    labels_ : ndarray (n_samples,) int32
    inertia_ : float
        Weighted sum of squared distances of samples to their centers.
    n_iter_ : int
    converged_ : bool

    Examples
    --------
    >>> import numpy as np, quantize
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> km = quantize.KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.tolist())
    [[1.0, 2.0], [10.0, 2.0]]
    >>> km.predict([[0, 0], [12, 3]]).tolist() == [km.labels_[0], km.labels_[3]]
    True
    """

    def __init__(self, n_clusters=8, *, init="k-means++", n_init=1, max_iter=300, tol=1e-4,
                 random_state=None, n_threads=None):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.n_threads = n_threads

    def _check_params(self, X):
        n_clusters = check_n_clusters(self.n_clusters)
        n_init = check_positive_int(self.n_init, "n_init")
        max_iter = check_positive_int(self.max_iter, "max_iter")
        tol = check_tol(self.tol)
        init = check_init(self.init, n_clusters, X.shape[1])
        if not isinstance(init, str):
            n_init = 1  # explicit centers: every run would be the same
        return n_clusters, init, n_init, max_iter, tol

    def fit(self, X, y=None, sample_weight=None):
        """Compute the clustering. ``y`` is ignored (scikit-learn compatibility)."""
        X = check_samples(X)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        n_clusters, init, n_init, max_iter, tol = self._check_params(X)
        rng = check_random_state(self.random_state)
        n_threads = resolve_n_threads(self.n_threads)
        tol = weighted_tolerance(X, sample_weight, tol, n_threads)
        best = None
        for _ in range(n_init):
            centers = initial_centers(X, sample_weight, n_clusters, init, rng, n_threads)
            result = lloyd(X, sample_weight, centers, max_iter, tol, n_threads)
            if best is None or result.inertia < best.inertia:
                best = result
        best = drop_empty_clusters(best, X, sample_weight, n_threads)
        self.cluster_centers_ = best.centers.astype(X.dtype)
        self.labels_ = best.labels
        self.inertia_ = best.inertia
        self.n_iter_ = best.n_iter
        self.converged_ = best.converged
        self._centers64 = best.centers
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        return self.fit(X, sample_weight=sample_weight).labels_

    def transform(self, X):
        """Distances from each row of X to every center (n_samples, n_clusters)."""
        X = self._check_fitted_input(X)
        out = np.empty((X.shape[0], len(self._centers64)), dtype=X.dtype)
        for start in range(0, X.shape[0], CHUNK_ROWS):
            block = X[start:start + CHUNK_ROWS].astype(np.float64)
            out[start:start + CHUNK_ROWS] = np.sqrt(
                ((block[:, None, :] - self._centers64[None, :, :]) ** 2).sum(axis=2))
        return out
