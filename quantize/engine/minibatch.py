"""Mini-batch k-means (Sculley 2010), for data too large to iterate over whole.

Batches are drawn with probability proportional to ``sample_weight`` and then
count with unit weight, which keeps each step's expected update that of the
weighted objective. Stopping rules follow scikit-learn: a smoothed (EWA) batch
inertia that has not improved for ``max_no_improvement`` steps, or a squared
center shift within ``tol`` times the mean feature variance.
"""
import warnings

import numpy as np

from .. import kernels
from .._parallel import resolve_n_threads
from .._validation import (check_enough_samples, check_n_clusters, check_positive_int, check_random_state,
                           check_sample_weight, check_samples, check_tol, output_dtype)
from ..errors import InputError
from .common import FittedCenters, check_init, check_n_init, initial_centers, weighted_tolerance
from .nearest import CenterGeometry, assign_labels, locality_order

# From this many clusters on, a batch is sorted by locality_order before it is labelled:
# at k = 256 the search took a fifth of the time; at k = 16, where it is short
# anyway, the sort cost more than it saved (95 us against 38 us a batch).
LOCALITY_MIN_CLUSTERS = 64


def _row_sampler(sample_weight, rng):
    """``draw(size)``: rows drawn with probability proportional to their weight, in
    increasing order. Sorted, a batch keeps the data's order, so the nearest-center
    search's hint (the previous row's center) holds more often on images, and the
    weighted draw's binary searches stay in cache; the update does not depend on the
    batch's order. Equal weights draw row numbers directly: searching the weights'
    cumulative sum cost as much as the rest of a step on a 0.1 MP photo."""
    n = len(sample_weight)
    if (sample_weight == sample_weight[0]).all():
        return lambda size: np.sort(rng.integers(0, n, size))
    cdf = np.cumsum(sample_weight)
    cdf /= cdf[-1]
    return lambda size: np.minimum(np.searchsorted(cdf, np.sort(rng.random(size)), side="right"), n - 1)


class MiniBatchKMeans(FittedCenters):
    """Weighted mini-batch k-means; ``partial_fit`` streams data that never fits in memory.

    The interface follows scikit-learn's ``MiniBatchKMeans``.

    Parameters
    ----------
    n_clusters : int, default 8
    init : {"k-means++", "random"}, callable or array_like (n_clusters, n_features)
    n_init : "auto" or int, default "auto"
        Seedings tried on the init sample, the one of lowest inertia there kept
        (the algorithm then runs once). "auto": 3 for "random" and a callable, 1
        for "k-means++" and arrays, as scikit-learn.
    batch_size : int, default 1024
    max_iter : int, default 100
        Passes over the data (each ``n_samples / batch_size`` batches).
    tol : float, default 0.0
        Relative to the mean weighted variance of the features; 0 disables it.
    max_no_improvement : int or None, default 10
    init_size : int, optional
        Rows sampled to seed the centers; default ``3 * max(batch_size, n_clusters)``;
        below ``n_clusters``, ``3 * n_clusters`` with a RuntimeWarning.
    reassignment_ratio : float, default 0.01
        Centers that absorbed less than this fraction of the heaviest center's
        weight are moved to random batch points, so no center stays stranded.
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
    n_threads : int, optional

    Attributes
    ----------
    cluster_centers_ : ndarray (n_clusters, n_features), X's float dtype (float64 for integers)
    labels_, inertia_ : by ``fit`` on the whole of X; by ``partial_fit`` on its batch
    n_steps_ : int
        Batches processed.
    n_iter_ : int
        Passes over the data that ``fit`` made (``n_steps_ * batch_size / n_samples``,
        rounded up).

    Examples
    --------
    >>> import numpy as np, quantize
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (500, 2)), rng.normal(20, 1, (500, 2))])
    >>> km = quantize.MiniBatchKMeans(n_clusters=2, batch_size=100, random_state=0).fit(X)
    >>> [round(float(c)) for c in np.sort(km.cluster_centers_[:, 0])]
    [0, 20]
    """

    def __init__(self, n_clusters=8, *, init="k-means++", n_init="auto", batch_size=1024, max_iter=100,
                 tol=0.0, max_no_improvement=10, init_size=None, reassignment_ratio=0.01, random_state=None,
                 n_threads=None):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.reassignment_ratio = reassignment_ratio
        self.random_state = random_state
        self.n_threads = n_threads

    # -- validation -------------------------------------------------------------------------

    def _check_params(self, n_features):
        self._n_clusters = check_n_clusters(self.n_clusters)
        self._batch_size = check_positive_int(self.batch_size, "batch_size")
        check_positive_int(self.max_iter, "max_iter")
        check_tol(self.tol)
        if self.max_no_improvement is not None:
            check_positive_int(self.max_no_improvement, "max_no_improvement")
        if self.init_size is not None:
            check_positive_int(self.init_size, "init_size")
        if not 0 <= self.reassignment_ratio < 1:
            raise InputError(f"reassignment_ratio must be in [0, 1), got {self.reassignment_ratio!r}")
        self._init = check_init(self.init, self._n_clusters, n_features)
        self._n_init = check_n_init(self.n_init, self._init, 3, "MiniBatchKMeans")

    # -- steps --------------------------------------------------------------------------------

    def _init_centers(self, X, sample_weight, rng, n_threads):
        k = self._n_clusters
        centers = initial_centers(X, sample_weight, k, self._init, rng, n_threads)
        if len(centers) < k:
            raise InputError(
                f"the data used to seed the centers has only {len(centers)} distinct points, "
                f"fewer than n_clusters={k}; give more (or more varied) samples")
        return centers

    @staticmethod
    def _inertia(X, sample_weight, centers, n_threads):
        _, dist = assign_labels(X, centers, n_threads)
        return float(np.sum(sample_weight * dist * dist))

    def _step(self, X, sample_weight, rng, n_threads):
        """One mini-batch update; returns (weighted mean batch inertia, squared center shift)."""
        if self._n_clusters >= LOCALITY_MIN_CLUSTERS:  # the update does not depend on the rows' order
            order = locality_order(X)
            X, sample_weight = X[order], sample_weight[order]
        # The centers move little per batch: repairing their neighbour order beats sorting it anew.
        self._geometry.update(self._centers64, n_threads)
        labels, dist = assign_labels(X, self._centers64, n_threads, geometry=self._geometry)
        moved_sq = kernels.minibatch.minibatch_update(X, sample_weight, labels, self._centers64,
                                                      self._weight_sums)
        self._n_since_reassign += len(X)
        if self.reassignment_ratio > 0 and (
                (self._weight_sums == 0).any() or self._n_since_reassign >= 10 * self._n_clusters):
            self._reassign_small_centers(X, sample_weight, rng)
        self.n_steps_ += 1
        return float(np.sum(sample_weight * dist * dist) / sample_weight.sum()), moved_sq

    def _reassign_small_centers(self, X, sample_weight, rng):
        self._n_since_reassign = 0
        small = self._weight_sums < self.reassignment_ratio * self._weight_sums.max()
        if small.sum() > len(X) // 2:  # never move more centers than half the batch
            small[np.argsort(self._weight_sums, kind="stable")[len(X) // 2:]] = False
        positive = np.flatnonzero(sample_weight > 0)
        if not small.any() or small.all() or len(positive) < small.sum():
            return
        p = sample_weight[positive] / sample_weight[positive].sum()
        rows = rng.choice(positive, size=int(small.sum()), replace=False, p=p)
        self._centers64[small] = X[rows]
        self._weight_sums[small] = self._weight_sums[~small].min()

    def _start(self, X, sample_weight, rng, n_threads):
        """Seed the centers on X (the init sample): the best of ``n_init`` seedings by
        their inertia on it."""
        self._rng = rng
        seedings = [self._init_centers(X, sample_weight, rng, n_threads) for _ in range(self._n_init)]
        self._centers64 = min(seedings, key=lambda centers: self._inertia(X, sample_weight, centers, n_threads)) \
            if len(seedings) > 1 else seedings[0]
        self._weight_sums = np.zeros(self._n_clusters)
        self._geometry = CenterGeometry(self._n_clusters)
        self._n_since_reassign = 0
        self.n_steps_ = 0

    # -- public -----------------------------------------------------------------------------

    def fit(self, X, y=None, sample_weight=None):
        """Fit on batches drawn from X; ``y`` is ignored (scikit-learn compatibility)."""
        dtype = output_dtype(X)
        X = check_samples(X)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        self._check_params(X.shape[1])
        check_enough_samples(X.shape[0], self._n_clusters)
        rng = check_random_state(self.random_state)
        n_threads = resolve_n_threads(self.n_threads)
        n = X.shape[0]
        draw = _row_sampler(sample_weight, rng)

        init_size = self.init_size or 3 * max(self._batch_size, self._n_clusters)
        if init_size < self._n_clusters:
            warnings.warn(f"init_size={init_size} should be larger than n_clusters={self._n_clusters}. "
                          "Setting it to min(3*n_clusters, n_samples)", RuntimeWarning, stacklevel=2)
            init_size = 3 * self._n_clusters
        seed_rows = np.arange(n) if init_size >= n else rng.choice(n, size=init_size, replace=False)
        if (sample_weight[seed_rows] == 0).all():
            seed_rows = draw(init_size)
        self._start(X[seed_rows], sample_weight[seed_rows], rng, n_threads)

        batch_size = min(self._batch_size, n)
        tol = weighted_tolerance(X, sample_weight, check_tol(self.tol), n_threads)
        ones = np.ones(batch_size)
        alpha = min(1.0, 2.0 * batch_size / (n + 1))
        ewa = best_ewa = np.inf
        no_improvement = 0
        for step in range(max(1, (self.max_iter * n) // batch_size)):
            inertia, moved_sq = self._step(X[draw(batch_size)], ones, rng, n_threads)
            if step == 0:
                # The inertia of the seeded centers, left out of the average as scikit-learn
                # does: the first updates (each center's first points) raise the inertia, and
                # an average that started below them stopped the fit after a dozen batches.
                continue
            ewa = inertia if step == 1 else ewa * (1 - alpha) + inertia * alpha
            if tol > 0 and moved_sq <= tol:
                break
            if ewa < best_ewa:
                best_ewa, no_improvement = ewa, 0
            else:
                no_improvement += 1
            if self.max_no_improvement is not None and no_improvement >= self.max_no_improvement:
                break
        self.labels_, dist = assign_labels(X, self._centers64, n_threads)
        self.inertia_ = float(np.sum(sample_weight * dist * dist))
        self.cluster_centers_ = self._centers64.astype(dtype)
        self.n_iter_ = -(-self.n_steps_ * batch_size // n)
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the centers with one batch X (all of it, with its weights)."""
        dtype = output_dtype(X)
        X = check_samples(X)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        n_threads = resolve_n_threads(self.n_threads)
        if not hasattr(self, "_centers64"):
            self._check_params(X.shape[1])
            check_enough_samples(X.shape[0], self._n_clusters)
            self._start(X, sample_weight, check_random_state(self.random_state), n_threads)
        elif X.shape[1] != self._centers64.shape[1]:
            raise InputError(
                f"X has {X.shape[1]} features, but earlier batches had {self._centers64.shape[1]}")
        self._step(X, sample_weight, self._rng, n_threads)
        self.cluster_centers_ = self._centers64.astype(dtype)
        self.labels_, dist = assign_labels(X, self._centers64, n_threads)  # of this batch, as scikit-learn
        self.inertia_ = float(np.sum(sample_weight * dist * dist))
        return self
