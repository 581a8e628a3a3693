"""What the Lloyd and mini-batch estimators share: tolerance, initial centers,
prediction."""

import numpy as np

from .. import kernels
from .._parallel import CHUNK_ROWS, n_chunks, resolve_n_threads, threads_for
from .._validation import check_centers, check_sample_weight, check_samples
from ..errors import InputError
from .nearest import assign_labels
from .seeding import default_local_trials, plusplus_centers


def weighted_tolerance(X, sample_weight, tol, n_threads):
    """``tol`` scaled by the mean weighted variance of the features."""
    if tol == 0:
        return 0.0
    n_threads = threads_for(X.shape[0], n_threads)
    moments = np.empty((n_chunks(X.shape[0]), 2, X.shape[1]))
    kernels.lloyd.weighted_moments(X, sample_weight, X[0].astype(np.float64), moments,
                                   CHUNK_ROWS, n_threads)
    first, second = moments.sum(axis=0) / sample_weight.sum()
    return float(np.mean(second - first ** 2) * tol)


def check_init(init, n_clusters, n_features):
    """'k-means++', 'random', or validated (n_clusters, n_features) float64 centers."""
    if isinstance(init, str):
        if init not in ("k-means++", "random"):
            raise InputError(f"init must be 'k-means++', 'random' or an array, got {init!r}")
        return init
    return check_centers(init, n_clusters, n_features)


def initial_centers(X, sample_weight, n_clusters, init, rng, n_threads):
    """Starting centers (n_clusters, n_features) float64 from a checked ``init``;
    k-means++ returns fewer, one per distinct point, when there are fewer."""
    if not isinstance(init, str):
        return init
    if init == "k-means++":
        return plusplus_centers(X, sample_weight, n_clusters, rng, default_local_trials(n_clusters), n_threads)[0]
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
