"""Checks shared by the public functions: every input is validated here, once,
before any kernel runs. Kernels trust what they are given."""
import numbers

import numpy as np

from .errors import InputError


def check_samples(X, name="X", dtype=None):
    """Return ``X`` as a C-contiguous float32 or float64 array (n_samples, n_features).

    Integer and other inputs become float32 unless ``dtype`` says otherwise. A new
    array is made whenever a conversion is needed, so the caller's data is never
    modified downstream.
    """
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise InputError(f"{name} must hold numbers, got dtype {X.dtype}")
    if X.ndim != 2:
        raise InputError(
            f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}; "
            "reshape an image with image.reshape(-1, n_channels)"
        )
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise InputError(f"{name} must have at least one sample and one feature, got shape {X.shape}")
    if dtype is None:
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float32
    X = np.ascontiguousarray(X, dtype=dtype)
    if not np.isfinite(X).all():
        bad = int(np.flatnonzero(~np.isfinite(X).all(axis=1))[0])
        raise InputError(f"{name} contains NaN or infinity (first at row {bad}); remove or replace those rows")
    return X


def check_sample_weight(sample_weight, n_samples):
    """Return weights as float64 (n_samples,); None means unit weights."""
    if sample_weight is None:
        return np.ones(n_samples)
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "biuf":
        raise InputError(f"sample_weight must hold numbers, got dtype {w.dtype}")
    w = np.array(w, dtype=np.float64, order="C", copy=True)
    if w.ndim == 0:
        w = np.full(n_samples, float(w))
    if w.shape != (n_samples,):
        raise InputError(f"sample_weight must have shape ({n_samples},) to match X, got {w.shape}")
    if not np.isfinite(w).all():
        raise InputError("sample_weight contains NaN or infinity")
    if (w < 0).any():
        raise InputError(f"sample_weight must be non-negative, found {w.min()!r}")
    if not w.sum() > 0:
        raise InputError("sample_weight must have a positive sum; all weights are zero")
    return w


def check_n_clusters(n_clusters):
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, numbers.Integral) or n_clusters < 1:
        raise InputError(f"n_clusters must be an integer >= 1, got {n_clusters!r}")
    return int(n_clusters)


def check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InputError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def check_tol(tol):
    if not isinstance(tol, numbers.Real) or not np.isfinite(tol) or tol < 0:
        raise InputError(f"tol must be a finite number >= 0, got {tol!r}")
    return float(tol)


def output_dtype(X):
    """The dtype an estimator's centers and distances take for input ``X``: its own
    float dtype, float64 for integers (as scikit-learn); the work may be float32."""
    dtype = np.asarray(X).dtype
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


def check_random_state(random_state):
    """Return a numpy Generator from None, an int seed, a Generator or a legacy
    RandomState (which seeds the Generator, drawing one number from it)."""
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    if random_state is None or isinstance(random_state, (numbers.Integral, np.random.SeedSequence)):
        if isinstance(random_state, bool):
            raise InputError(f"random_state must be None, an int or a numpy Generator, got {random_state!r}")
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    raise InputError(f"random_state must be None, an int or a numpy Generator, got {random_state!r}")


def check_enough_samples(n_samples, n_clusters):
    """scikit-learn's rule (and its message): a clustering needs a sample per cluster."""
    if n_samples < n_clusters:
        raise InputError(f"n_samples={n_samples} should be >= n_clusters={n_clusters}.")


def check_centers(centers, n_clusters, n_features, name="init"):
    """Validate explicit initial centers (n_clusters, n_features) as float64."""
    centers = np.asarray(centers)
    if centers.ndim != 2 or centers.shape != (n_clusters, n_features):
        # scikit-learn's wording, which callers match on, then ours
        what = (f"the number of clusters {n_clusters}" if centers.ndim != 2 or centers.shape[0] != n_clusters
                else f"the number of features of the data {n_features}")
        raise InputError(f"The shape of the initial centers {centers.shape} does not match {what}: {name} must "
                         f"have shape (n_clusters, n_features) = ({n_clusters}, {n_features})")
    if centers.dtype.kind not in "biuf" or not np.isfinite(centers).all():
        raise InputError(f"{name} must hold finite numbers")
    return np.array(centers, dtype=np.float64, order="C", copy=True)
