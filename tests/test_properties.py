"""Hypothesis: the kernels never crash and keep shapes and ranges on random inputs."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from quantize import KMeans, kmeans_plusplus
from quantize.engine.nearest import assign_labels

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def problems(draw):
    n = draw(st.integers(1, 300))
    d = draw(st.integers(1, 5))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    X = draw(hnp.arrays(dtype, (n, d), elements=finite))
    w = draw(hnp.arrays(np.float64, n, elements=st.floats(0, 100, width=32)))
    w[draw(st.integers(0, n - 1))] = 1.0  # a positive sum
    k = draw(st.integers(1, min(12, n)))  # n_samples >= n_clusters, as scikit-learn requires
    return X, w, k


@settings(max_examples=60, deadline=None)
@given(problems(), st.integers(0, 2**31))
def test_fit_never_crashes_and_keeps_shapes(problem, seed):
    import warnings
    X, w, k = problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few distinct points is expected here
        km = KMeans(k, random_state=seed, max_iter=20).fit(X, sample_weight=w)
    n_centers = len(km.cluster_centers_)
    assert 1 <= n_centers <= k
    assert km.cluster_centers_.shape == (n_centers, X.shape[1])
    assert km.labels_.shape == (len(X),)
    assert km.labels_.min() >= 0 and km.labels_.max() < n_centers
    assert np.isfinite(km.cluster_centers_).all()
    # Every labelled center is a nearest one, and the inertia is their weighted distances.
    d = ((X[:, None, :].astype(float) - km.cluster_centers_[None].astype(float)) ** 2).sum(axis=2)
    chosen = d[np.arange(len(X)), km.labels_]
    assert (chosen <= d.min(axis=1) * (1 + 1e-5) + 1e-3).all()
    assert km.inertia_ == pytest.approx(float((w * chosen).sum()), rel=1e-3, abs=1e-3)


@settings(max_examples=40, deadline=None)
@given(problems(), st.integers(0, 2**31))
def test_seeding_and_assignment_never_crash(problem, seed):
    import warnings
    X, w, k = problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        centers, indices = kmeans_plusplus(X, k, sample_weight=w, random_state=seed)
    assert (w[indices] > 0).all()
    labels, dist = assign_labels(X, centers.astype(np.float64), 2)
    assert labels.shape == (len(X),) and (dist >= 0).all()
