"""Weighted k-means by Lloyd's algorithm with Hamerly bounds: the KMeans estimator.

Convergence, as in scikit-learn: stop when no label changed during an iteration
("strict" convergence) or when the squared center shift, summed over centers, is
at most ``tol`` times the mean (weighted) variance of the features. After a
tolerance stop the labels are recomputed so they match the returned centers.
"""
from dataclasses import dataclass

import numpy as np

from .. import kernels
from .._parallel import CHUNK_ROWS, n_chunks, resolve_n_threads, threads_for
from .._validation import (check_enough_samples, check_n_clusters, check_positive_int, check_random_state,
                           check_sample_weight, check_samples, check_tol, output_dtype)
from ..errors import InputError, warn_few_distinct_points
from ..histogram import distinct_rows
from .common import FittedCenters, check_init, check_n_init, initial_centers, weighted_tolerance
from .nearest import CenterGeometry, assign_labels, labelled_sqdist
from .seeding import filled_with_copies


@dataclass(frozen=True)
class RowBounds:
    """Each row's label and bounds, as a Lloyd E-step keeps them, for ``centers``:
    ``upper`` (n,) bounds the distance to its center from above, ``lower`` (n,) the
    distance to any other from below."""
    labels: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    centers: np.ndarray


@dataclass(frozen=True)
class LloydResult:
    centers: np.ndarray  # (k, n_features) float64
    labels: np.ndarray   # (n_samples,) int32; None when the fit was not asked for labels
    inertia: float       # None likewise
    n_iter: int
    converged: bool
    geometry: CenterGeometry  # of the last centers labelled, repaired by a next fit that starts from these
    bounds: RowBounds    # for the last centers labelled: nearest_labels takes them to other centers


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


def lloyd(X, sample_weight, centers, max_iter, tol, n_threads, fixed=None, geometry=None, labelled=True):
    """Trusting driver: run Lloyd iterations from ``centers`` (float64, not modified).

    Centers where the boolean mask ``fixed`` is true never move (must-keep colors).
    ``geometry``: the CenterGeometry of centers close to these (the last fit's, when
    this one refines it), repaired rather than sorted anew (a sort: 0.9 ms at k = 256).
    ``labelled=False``: only the centers are wanted, so the E-step that would bring
    the labels up to date with the last centers, and the inertia, are left out
    (a tenth of a compress fit's last level); the result's labels and inertia are None.

    Each iteration is an M-step (centers from the cluster sums) then an E-step (labels
    for the new centers), which also updates the sums for the rows that moved.
    """
    n, n_features = X.shape
    k = len(centers)
    geometry = CenterGeometry.of(centers, n_threads) if geometry is None else geometry.update(centers, n_threads)
    labels, upper, lower = assign_labels(X, centers, n_threads, need_second=True, geometry=geometry)
    labelled_for = centers
    sums = np.empty((n_chunks(n), k, n_features))
    weights = np.empty((n_chunks(n), k))
    changed = np.empty(n_chunks(n), dtype=np.int64)
    kernels.lloyd.cluster_sums(X, sample_weight, labels, sums, weights, CHUNK_ROWS,
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
        labelled_for = centers
    converged = strict or stuck or n_iter < max_iter
    if not labelled:
        return LloydResult(centers, None, None, n_iter, converged, geometry,
                           RowBounds(labels, upper, lower, labelled_for))
    if not strict:  # bring the labels up to date with the final centers
        _e_step(X, sample_weight, centers, geometry, upper_shift, lower_shift, labels, upper,
                lower, sums, weights, changed, n_threads)
        labelled_for = centers
    inertia = float(np.sum(sample_weight * labelled_sqdist(X, centers, labels, n_threads)))
    return LloydResult(centers, labels, inertia, n_iter, converged, geometry,
                       RowBounds(labels, upper, lower, labelled_for))


def nearest_labels(X, bounds, centers, geometry, n_threads):
    """The nearest of ``centers`` for every row of X, from the RowBounds a fit left
    for nearby centers: one E-step, searching only the rows whose bounds fail, where
    a fresh search starts at every row (the remap of a sample photo's colors at
    k = 256: 2.5-2.9 ms against 3.5-4.1). ``geometry``: the CenterGeometry of centers
    near these, brought up to date for them. Consumes ``bounds``: its arrays are
    updated in place and its labels returned."""
    n, n_features = X.shape
    shift, other_shift = _shifts(bounds.centers, centers)
    # The step keeps cluster sums up to date as rows move; nobody needs them here,
    # so the rows weigh nothing.
    sums = np.zeros((n_chunks(n), len(centers), n_features))
    weights = np.zeros((n_chunks(n), len(centers)))
    _e_step(X, np.zeros(n), centers, geometry, shift, other_shift, bounds.labels, bounds.upper, bounds.lower,
            sums, weights, np.empty(n_chunks(n), dtype=np.int64), n_threads)
    return bounds.labels


def _e_step(X, sample_weight, centers, geometry, upper_shift, lower_shift, labels, upper, lower,
            sums, weights, changed, n_threads):
    geometry.update(centers, n_threads)
    near_shift, far_bound = geometry.neighbour_bounds(upper_shift)
    kernels.lloyd.lloyd_step(X, sample_weight, centers, geometry.order, geometry.cc_sorted,
                             geometry.half_gap, upper_shift, lower_shift, near_shift, far_bound,
                             labels, upper, lower, sums, weights, changed, CHUNK_ROWS,
                             threads_for(len(X), n_threads))


class KMeans(FittedCenters):
    """Weighted k-means clustering (Lloyd's algorithm, accelerated with bounds).

    The interface follows scikit-learn's ``KMeans``.

    Parameters
    ----------
    n_clusters : int, default 8
    init : {"k-means++", "random"}, callable or array_like (n_clusters, n_features)
        A callable is called as ``init(X, n_clusters, random_state=RandomState)``
        and returns the centers.
    n_init : "auto" or int, default "auto"
        Runs from different seeds; the one with the lowest inertia is kept.
        "auto": 10 for "random" and a callable, 1 for "k-means++" and arrays (as
        scikit-learn); with explicit centers, one run (a RuntimeWarning if more
        were asked).
    max_iter : int, default 300
    tol : float, default 1e-4
        Relative to the mean weighted variance of the features.
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
    algorithm : "lloyd"
        Accepted for scikit-learn compatibility; Lloyd with Hamerly bounds is the
        one algorithm (there is no "elkan").
    n_threads : int, optional
        Default: ``OMP_NUM_THREADS`` or the usable cores. Results do not depend on it.

    With fewer distinct points (of positive weight) than ``n_clusters``, every
    point is a center and the other rows of ``cluster_centers_`` are copies that
    no point is labelled with, as in scikit-learn; the warning is a
    :class:`FewDistinctPointsWarning` (scikit-learn's is a ``ConvergenceWarning``).

    Attributes
    ----------
    cluster_centers_ : ndarray (n_clusters, n_features), X's float dtype (float64 for integers)
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

    def __init__(self, n_clusters=8, *, init="k-means++", n_init="auto", max_iter=300, tol=1e-4,
                 random_state=None, algorithm="lloyd", n_threads=None):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.algorithm = algorithm
        self.n_threads = n_threads

    def _check_params(self, X):
        n_clusters = check_n_clusters(self.n_clusters)
        check_enough_samples(X.shape[0], n_clusters)
        max_iter = check_positive_int(self.max_iter, "max_iter")
        tol = check_tol(self.tol)
        if self.algorithm != "lloyd":
            raise InputError(f"algorithm must be 'lloyd' (Lloyd with Hamerly bounds; there is no 'elkan'), "
                             f"got {self.algorithm!r}")
        init = check_init(self.init, n_clusters, X.shape[1])
        n_init = check_n_init(self.n_init, init, 10, "KMeans")
        return n_clusters, init, n_init, max_iter, tol

    def fit(self, X, y=None, sample_weight=None):
        """Compute the clustering. ``y`` is ignored (scikit-learn compatibility)."""
        dtype = output_dtype(X)
        X = check_samples(X)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        n_clusters, init, n_init, max_iter, tol = self._check_params(X)
        self._n_init = n_init  # the runs made, under scikit-learn's name
        rng = check_random_state(self.random_state)
        n_threads = resolve_n_threads(self.n_threads)
        grouped = distinct_rows(X, sample_weight, n_threads)
        points, weights = (X, sample_weight) if grouped is None else (grouped.rows, grouped.weights)
        tol = weighted_tolerance(points, weights, tol, n_threads)
        seed_from = (X, sample_weight) if callable(init) else (points, weights)  # a callable sees X, as in scikit-learn
        best = None
        for _ in range(n_init):
            centers = initial_centers(*seed_from, n_clusters, init, rng, n_threads)
            centers = filled_with_copies(centers, n_clusters)  # one per distinct point; copies keep the shape
            result = lloyd(points, weights, centers, max_iter, tol, n_threads)
            if best is None or result.inertia < best.inertia:
                best = result
        labels = best.labels if grouped is None else best.labels[grouped.inverse]
        n_used = int((np.bincount(best.labels, weights=weights, minlength=n_clusters) > 0).sum())
        if n_used < n_clusters:
            copies = n_clusters - n_used
            warn_few_distinct_points(n_used, n_clusters,
                                     f"{n_used} clusters and {copies} {'copies' if copies > 1 else 'copy'}")
        self.cluster_centers_ = best.centers.astype(dtype)
        self.labels_ = labels
        self.inertia_ = best.inertia
        self.n_iter_ = best.n_iter
        self.converged_ = best.converged
        self._centers64 = best.centers
        return self
