"""KMeans against the NumPy reference, scikit-learn, and its invariances."""
import os
import subprocess
import sys

import numpy as np
import pytest
import reference

import quantize
from quantize import FewDistinctPointsWarning, InputError, KMeans
from quantize.histogram import distinct_rows


@pytest.fixture(scope="module")
def data():
    X, _, _ = reference.blobs(3000, 3, 12, seed=0, spread=6.0)
    init = X[np.random.default_rng(1).choice(len(X), 12, replace=False)]
    return X, init


def _fit_matching_reference(X, w, init):
    km = KMeans(len(init), init=init, tol=1e-6).fit(X, sample_weight=w)
    centers, labels, inertia, n_iter = reference.lloyd(X, w, init, 300, 1e-6)
    np.testing.assert_array_equal(km.labels_, labels)
    np.testing.assert_allclose(km.cluster_centers_, centers, rtol=1e-10)
    assert km.inertia_ == pytest.approx(inertia, rel=1e-10)
    assert km.n_iter_ == n_iter
    return km


def test_matches_numpy_reference(data):
    X, init = data
    w = np.random.default_rng(2).uniform(0.1, 3.0, len(X))
    assert _fit_matching_reference(X, w, init).converged_


def test_inertia_never_increases_across_iterations(data):
    X, init = data
    inertias = [KMeans(12, init=init, max_iter=m, tol=0).fit(X).inertia_ for m in range(1, 15)]
    assert all(b <= a * (1 + 1e-12) for a, b in zip(inertias, inertias[1:]))
    assert inertias[-1] < inertias[0]


def test_integer_weights_equal_repeated_samples(data):
    X, init = data
    counts = np.random.default_rng(3).integers(1, 4, len(X))
    weighted = KMeans(12, init=init).fit(X, sample_weight=counts)
    repeated = KMeans(12, init=init).fit(np.repeat(X, counts, axis=0))
    np.testing.assert_allclose(weighted.cluster_centers_, repeated.cluster_centers_, rtol=1e-10)
    np.testing.assert_array_equal(np.repeat(weighted.labels_, counts), repeated.labels_)
    assert weighted.inertia_ == pytest.approx(repeated.inertia_, rel=1e-10)


def test_repeated_rows_are_grouped_to_the_same_result():
    # Pixel clouds repeat their colors: the fit groups equal rows (a pass over the
    # 24 000 rows here leaves 1500), and must give what every row would.
    X, _, _ = reference.blobs(1500, 3, 8, seed=6, spread=8.0)
    X = np.round(X)[np.random.default_rng(7).integers(0, 1500, 24_000)]
    w = np.random.default_rng(8).uniform(0.5, 2.0, len(X))
    assert len(distinct_rows(X, w, 2).rows) == len(np.unique(X, axis=0))
    _fit_matching_reference(X, w, X[:8])


def test_unit_and_scaled_weights_change_nothing(data):
    X, init = data
    w = np.random.default_rng(4).uniform(0.5, 2, len(X))
    plain = KMeans(12, init=init).fit(X)
    unit = KMeans(12, init=init).fit(X, sample_weight=np.ones(len(X)))
    np.testing.assert_array_equal(plain.cluster_centers_, unit.cluster_centers_)
    base = KMeans(12, init=init).fit(X, sample_weight=w)
    scaled = KMeans(12, init=init).fit(X, sample_weight=w * 37.5)
    np.testing.assert_allclose(base.cluster_centers_, scaled.cluster_centers_, rtol=1e-10)
    np.testing.assert_array_equal(base.labels_, scaled.labels_)


def test_thread_count_changes_nothing(data):
    X, _ = data
    X = np.tile(X, (5, 1)) + np.random.default_rng(5).normal(0, 1e-3, (5 * len(X), X.shape[1]))  # distinct rows in several chunks
    one = KMeans(12, random_state=5, n_threads=1).fit(X)
    two = KMeans(12, random_state=5, n_threads=2).fit(X)
    np.testing.assert_array_equal(one.cluster_centers_, two.cluster_centers_)
    np.testing.assert_array_equal(one.labels_, two.labels_)
    assert one.inertia_ == two.inertia_


def test_omp_num_threads_changes_nothing(tmp_path):
    script = (
        "import sys, numpy as np, quantize\n"
        "X = np.random.default_rng(0).random((30000, 3))\n"
        "km = quantize.KMeans(16, random_state=0).fit(X)\n"
        "np.save(sys.argv[1], np.concatenate([km.cluster_centers_.ravel(), km.labels_]))\n"
    )
    results = []
    for threads in ("1", "2"):
        out = tmp_path / f"t{threads}.npy"
        env = dict(os.environ, OMP_NUM_THREADS=threads)
        subprocess.run([sys.executable, "-c", script, str(out)], check=True, env=env, cwd=tmp_path)
        results.append(np.load(out))
    np.testing.assert_array_equal(*results)


def test_seed_reproduces_a_run(data):
    X, _ = data
    a = KMeans(12, random_state=7, n_init=2).fit(X)
    b = KMeans(12, random_state=7, n_init=2).fit(X)
    c = KMeans(12, random_state=np.random.default_rng(7), n_init=2).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    np.testing.assert_array_equal(a.cluster_centers_, c.cluster_centers_)


def test_float32_and_float64_agree(data):
    X, init = data
    k64 = KMeans(12, init=init).fit(X)
    k32 = KMeans(12, init=init).fit(X.astype(np.float32))
    assert k32.cluster_centers_.dtype == np.float32 and k64.cluster_centers_.dtype == np.float64
    np.testing.assert_allclose(k32.cluster_centers_, k64.cluster_centers_, rtol=1e-4, atol=1e-3)
    assert (k32.labels_ == k64.labels_).mean() > 0.999
    assert k32.inertia_ == pytest.approx(k64.inertia_, rel=1e-4)


def test_integer_input_gives_float64_centers_as_scikit_learn():
    X = np.random.default_rng(8).integers(0, 256, (500, 3), dtype=np.uint8)
    km = KMeans(4, random_state=0).fit(X)
    assert km.cluster_centers_.dtype == np.float64 and km.transform(X).dtype == np.float64
    assert km.predict(X).tolist() == km.labels_.tolist()
    np.testing.assert_allclose(km.cluster_centers_, KMeans(4, random_state=0).fit(X.astype(np.float32))
                               .cluster_centers_, rtol=1e-6)  # the work is float32 either way


def test_refit_from_fitted_centers_is_a_fixed_point(data):
    X, _ = data
    first = KMeans(12, random_state=9, tol=0).fit(X)
    again = KMeans(12, init=first.cluster_centers_, tol=0).fit(X)
    np.testing.assert_allclose(again.cluster_centers_, first.cluster_centers_, rtol=1e-12)
    np.testing.assert_array_equal(again.labels_, first.labels_)
    assert again.n_iter_ <= 2


def test_c_and_fortran_order_agree_and_inputs_are_not_modified(data):
    X, init = data
    X_f = np.asfortranarray(X)
    X_before, init_before = X.copy(), init.copy()
    c = KMeans(12, init=init).fit(X)
    f = KMeans(12, init=init).fit(X_f)
    np.testing.assert_array_equal(c.cluster_centers_, f.cluster_centers_)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(init, init_before)


def test_predict_transform_score_agree(data):
    X, _ = data
    km = KMeans(12, random_state=0).fit(X)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    np.testing.assert_array_equal(km.fit_predict(X), km.labels_)
    distances = km.transform(X)
    assert distances.shape == (len(X), 12)
    np.testing.assert_array_equal(distances.argmin(axis=1), km.labels_)
    assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-9)


def test_empty_clusters_are_relocated():
    X, _, _ = reference.blobs(600, 2, 4, seed=10)
    init = np.repeat(X[:1], 4, axis=0)  # four identical centers: three start empty
    km = KMeans(4, init=init).fit(X)
    assert len(np.unique(km.labels_)) == 4
    assert km.inertia_ < 0.5 * KMeans(1).fit(X).inertia_


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_fewer_distinct_points_than_clusters_warns(init):
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])
    with pytest.warns(FewDistinctPointsWarning, match="only 3 distinct points.*3 clusters and 2 copies"):
        km = KMeans(5, init=init, random_state=0).fit(X)
    assert km.cluster_centers_.shape == (5, 2) and km.transform(X).shape == (5, 5)  # the shape callers index by
    assert len(np.unique(km.labels_)) == 3
    assert {tuple(c) for c in km.cluster_centers_} == {(0.0, 0.0), (1.0, 1.0), (5.0, 5.0)}
    assert km.inertia_ == 0
    np.testing.assert_array_equal(km.cluster_centers_[km.labels_], X)


def test_zero_weight_points_do_not_count_as_distinct():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    with pytest.warns(FewDistinctPointsWarning, match="only 2 distinct"):
        km = KMeans(3, random_state=0).fit(X, sample_weight=[1, 1, 0, 0])
    assert set(km.cluster_centers_[:, 0].tolist()) == {0.0, 1.0} and len(km.cluster_centers_) == 3


@pytest.mark.parametrize("X, kwargs, match", [
    (np.array([[0.0, np.nan], [1, 1]]), {}, "NaN or infinity"),
    (np.array([[0.0, np.inf], [1, 1]]), {}, "NaN or infinity"),
    (np.zeros(5), {}, "must be 2-D"),
    (np.zeros((0, 3)), {}, "at least one sample"),
    (np.array([["a", "b"]]), {}, "must hold numbers"),
    (np.zeros((4, 2)), {"n_clusters": 0}, "n_clusters must be an integer >= 1"),
    (np.zeros((4, 2)), {"n_clusters": 2.5}, "n_clusters must be an integer"),
    (np.zeros((4, 2)), {"max_iter": 0}, "max_iter"),
    (np.zeros((4, 2)), {"tol": -1}, "tol"),
    (np.zeros((4, 2)), {"init": "kmeans"}, "init must be"),
    (np.zeros((4, 2)), {"init": np.zeros((3, 2)), "n_clusters": 2}, r"init must have shape"),
    (np.zeros((4, 2)), {"random_state": "seed"}, "random_state"),
    (np.zeros((4, 2)), {"n_threads": 0}, "n_threads"),
])
def test_bad_input_raises_a_clear_error(X, kwargs, match):
    kwargs = {"n_clusters": 2, **kwargs}
    with pytest.raises(InputError, match=match):
        KMeans(**kwargs).fit(X)


@pytest.mark.parametrize("w, match", [
    ([1, -1, 1, 1], "non-negative"),
    ([0, 0, 0, 0], "positive sum"),
    ([1, 1], r"shape \(4,\)"),
    ([1, np.nan, 1, 1], "NaN"),
])
def test_bad_weights_raise(w, match):
    with pytest.raises(InputError, match=match):
        KMeans(2).fit(np.arange(8.0).reshape(4, 2), sample_weight=w)


def test_predict_checks_fit_and_features():
    with pytest.raises(InputError, match="not fitted"):
        KMeans(2).predict(np.zeros((3, 2)))
    km = KMeans(2, random_state=0).fit(np.arange(8.0).reshape(4, 2))
    with pytest.raises(InputError, match="3 features, but this model was fitted with 2"):
        km.predict(np.zeros((1, 3)))


def test_errors_share_one_base_class():
    assert issubclass(InputError, quantize.QuantizeError) and issubclass(InputError, ValueError)


def test_matches_scikit_learn_on_blobs():
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    X, _, _ = reference.blobs(5000, 3, 16, seed=11, spread=5.0)
    init = quantize.kmeans_plusplus(X, 16, random_state=0)[0]
    ours = KMeans(16, init=init).fit(X)
    theirs = sklearn_cluster.KMeans(16, init=init, n_init=1, algorithm="lloyd").fit(X)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-6)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-6, atol=1e-6)
    assert ours.n_iter_ == theirs.n_iter_


def test_the_scikit_learn_face_clone_params_and_n_init_auto(data):
    from sklearn.base import clone
    X, _ = data
    km = KMeans(5, n_init=3, random_state=0)
    assert clone(km).get_params() == km.get_params()
    assert km.set_params(n_clusters=4) is km and km.n_clusters == 4
    with pytest.raises(ValueError, match="invalid parameter 'bogus'"):
        km.set_params(bogus=1)
    assert KMeans(5, init="random", random_state=0).fit(X)._n_init == 10
    assert KMeans(5, random_state=0).fit(X)._n_init == 1
    with pytest.warns(RuntimeWarning, match="performing only one init"):
        KMeans(2, init=X[:2], n_init=5).fit(X)
    with pytest.raises(ValueError, match="n_samples=3 should be >= n_clusters=4"):
        KMeans(4).fit(X[:3])
    seeded = KMeans(5, random_state=np.random.RandomState(1)).fit(X).cluster_centers_
    np.testing.assert_array_equal(seeded, KMeans(5, random_state=np.random.RandomState(1)).fit(X).cluster_centers_)
    chosen = KMeans(3, init=lambda X, k, random_state: X[:k]).fit(X)
    np.testing.assert_array_equal(chosen.fit_transform(X), chosen.transform(X))
    assert chosen.fit_transform(X).shape == (len(X), 3)


def test_minibatch_transform_n_iter_and_partial_fit_labels(data):
    from quantize import MiniBatchKMeans
    X, _ = data
    km = MiniBatchKMeans(4, batch_size=64, random_state=0)
    distances = km.fit_transform(X)
    assert distances.shape == (len(X), 4)
    np.testing.assert_array_equal(distances.argmin(axis=1), km.labels_)
    assert km.n_iter_ == -(-km.n_steps_ * 64 // len(X))
    streamed = MiniBatchKMeans(4, random_state=0).partial_fit(X[:200])
    assert streamed.labels_.shape == (200,) and streamed.inertia_ > 0
    with pytest.warns(RuntimeWarning, match="init_size=2 should be larger than n_clusters=4"):
        MiniBatchKMeans(4, init_size=2, random_state=0).fit(X)


def test_too_few_distinct_points_is_also_scikit_learns_convergence_warning():
    from sklearn.exceptions import ConvergenceWarning
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    for category in (ConvergenceWarning, FewDistinctPointsWarning):
        with pytest.warns(category, match="only 2 distinct points"):
            KMeans(3, random_state=0).fit(X)


@pytest.mark.parametrize("estimator", ["KMeans", "MiniBatchKMeans"])
def test_scikit_learn_pipelines_and_grid_search_take_the_estimators(data, estimator):
    import quantize
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils.validation import check_is_fitted
    X, _ = data
    model = getattr(quantize, estimator)(random_state=0)
    pipe = make_pipeline(StandardScaler(), model).fit(X)
    assert pipe.predict(X).shape == (len(X),) and np.isfinite(pipe.score(X))
    check_is_fitted(model)
    search = GridSearchCV(getattr(quantize, estimator)(random_state=0), {"n_clusters": [2, 6, 12]}, cv=3,
                          error_score="raise").fit(X)
    assert search.best_params_ == {"n_clusters": 12}  # score is minus the inertia: more clusters, higher
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_a_fit_for_its_centers_alone_moves_them_as_a_labelled_fit():
    from quantize.engine.lloyd import lloyd
    X, _, _ = reference.blobs(3000, 3, 12, seed=4)
    X = X.astype(np.float32)
    w = np.random.default_rng(4).uniform(0.5, 2.0, len(X))
    init = X[:12].astype(np.float64)
    labelled = lloyd(X, w, init, 5, 0.0, 2)
    alone = lloyd(X, w, init, 5, 0.0, 2, labelled=False)
    np.testing.assert_array_equal(alone.centers, labelled.centers)
    assert (alone.n_iter, alone.converged) == (labelled.n_iter, labelled.converged)
    assert alone.labels is None and alone.inertia is None


@pytest.mark.parametrize("labelled", [True, False])
def test_a_fits_bounds_label_rows_for_other_centers_as_a_fresh_search(labelled):
    # The remap labels a photo's colors with the palette, the fit's centers rounded,
    # from the bounds the fit left. Here the centers move by more than rounding
    # would, so bounds taken without the move would give wrong labels.
    from quantize.engine.lloyd import lloyd, nearest_labels
    from quantize.engine.nearest import CenterGeometry
    X, _, _ = reference.blobs(6000, 3, 40, seed=5)
    X = X.astype(np.float32)
    w = np.random.default_rng(5).uniform(0.5, 2.0, len(X))
    fit = lloyd(X, w, X[:40].astype(np.float64), 4, 0.0, 2, labelled=labelled)
    moved = fit.centers + np.random.default_rng(6).normal(0, 0.05, fit.centers.shape)
    labels = nearest_labels(X, fit.bounds, moved, CenterGeometry.of(moved, 2), 2)
    np.testing.assert_array_equal(labels, reference.nearest(X, moved)[0])
    assert (labels != reference.nearest(X, fit.bounds.centers)[0]).sum() > 10  # the move changed some
