"""What the Lloyd and mini-batch estimators share: tolerance, initial centers,
parameters, prediction."""
import inspect
import warnings

import numpy as np

from .. import kernels
from .._parallel import CHUNK_ROWS, n_chunks, resolve_n_threads, threads_for
from .._validation import check_centers, check_positive_int, check_sample_weight, check_samples, output_dtype
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
    """'k-means++', 'random', a callable ``init(X, n_clusters, random_state)``, or
    validated (n_clusters, n_features) float64 centers."""
    if isinstance(init, str):
        if init not in ("k-means++", "random"):
            raise InputError(f"init must be 'k-means++', 'random', a callable or an array, got {init!r}")
        return init
    if callable(init):
        return init
    return check_centers(init, n_clusters, n_features)


def check_n_init(n_init, init, n_random, estimator):
    """Runs to make: an int >= 1, or "auto", scikit-learn's rule: ``n_random`` for
    'random' and a callable, one for 'k-means++' and explicit centers. Explicit
    centers with a count above one make one run, with scikit-learn's RuntimeWarning."""
    if isinstance(n_init, str) and n_init == "auto":
        return n_random if (isinstance(init, str) and init == "random") or callable(init) else 1
    n_init = check_positive_int(n_init, "n_init")
    if n_init > 1 and not isinstance(init, str) and not callable(init):
        warnings.warn(f"Explicit initial center position passed: performing only one init in {estimator} "
                      f"instead of n_init={n_init}.", RuntimeWarning, stacklevel=4)
        return 1
    return n_init


def initial_centers(X, sample_weight, n_clusters, init, rng, n_threads):
    """Starting centers (n_clusters, n_features) float64 from a checked ``init``;
    k-means++ returns fewer, one per distinct point, when there are fewer."""
    if callable(init):
        legacy = np.random.RandomState(rng.integers(2**31 - 1))  # what scikit-learn passes
        return check_centers(init(X, n_clusters, random_state=legacy), n_clusters, X.shape[1],
                             name="the centers init returned")
    if not isinstance(init, str):
        return init
    if init == "k-means++":
        return plusplus_centers(X, sample_weight, n_clusters, rng, default_local_trials(n_clusters), n_threads)[0]
    p = sample_weight / sample_weight.sum()
    rows = rng.choice(len(X), size=n_clusters, replace=(p > 0).sum() < n_clusters, p=p)
    return X[rows].astype(np.float64)


class FittedCenters:
    """What every estimator does: its parameters (``get_params``, ``set_params``,
    so that scikit-learn's ``clone``, pipelines and grid search take it), and with
    its fitted centers (``self._centers64``): predict, transform, score."""

    @classmethod
    def _parameter_names(cls):
        return [name for name in inspect.signature(cls.__init__).parameters if name != "self"]

    def get_params(self, deep=True):
        """The constructor's parameters and their values; ``deep`` is ignored (there
        are no nested estimators)."""
        return {name: getattr(self, name) for name in self._parameter_names()}

    def __sklearn_tags__(self):
        """What scikit-learn's pipelines, grid search and ``check_is_fitted`` ask of
        an estimator (read only by scikit-learn, so imported from it only then)."""
        from sklearn.utils import Tags, TargetTags, TransformerTags

        return Tags(estimator_type="clusterer", target_tags=TargetTags(required=False),
                    transformer_tags=TransformerTags(preserves_dtype=["float64", "float32"]))

    def __sklearn_is_fitted__(self):
        return hasattr(self, "_centers64")

    def set_params(self, **params):
        """Set constructor parameters; returns the estimator."""
        valid = self._parameter_names()
        for name, value in params.items():
            if name not in valid:
                raise InputError(f"invalid parameter {name!r} for {type(self).__name__}; "
                                 f"valid parameters: {', '.join(valid)}")
            setattr(self, name, value)
        return self

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

    def transform(self, X):
        """Distances from each row of X to every center (n_samples, n_clusters), in
        X's float dtype (float64 for integers)."""
        dtype = output_dtype(X)
        X = self._check_fitted_input(X)
        out = np.empty((X.shape[0], len(self._centers64)), dtype=dtype)
        for start in range(0, X.shape[0], CHUNK_ROWS):
            block = X[start:start + CHUNK_ROWS].astype(np.float64)
            out[start:start + CHUNK_ROWS] = np.sqrt(
                ((block[:, None, :] - self._centers64[None, :, :]) ** 2).sum(axis=2))
        return out

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then the label of each row of X."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit, then the distances of each row of X to every center."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the weighted inertia of X on the fitted centers."""
        X = self._check_fitted_input(X)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        _, dist = assign_labels(X, self._centers64, resolve_n_threads(self.n_threads))
        return -float(np.sum(sample_weight * dist * dist))
