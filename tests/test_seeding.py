"""Weighted greedy k-means++."""
import numpy as np
import pytest
import reference

from quantize import FewDistinctPointsWarning, InputError, KMeans, kmeans_plusplus


def test_centers_are_rows_of_X_and_spread_out():
    X, _, true_centers = reference.blobs(4000, 3, 8, seed=0, spread=0.5)
    centers, indices = kmeans_plusplus(X, 8, random_state=0)
    np.testing.assert_array_equal(centers, X[indices])
    # One seed per well-separated blob.
    assert len(set(reference.nearest(centers, true_centers)[0])) == 8


def test_zero_weight_rows_are_never_chosen():
    X, _, _ = reference.blobs(2000, 2, 5, seed=1)
    w = np.zeros(len(X))
    w[::3] = 1.0
    for seed in range(5):
        _, indices = kmeans_plusplus(X, 10, sample_weight=w, random_state=seed)
        assert (indices % 3 == 0).all()


def test_integer_weights_follow_repeated_samples_in_distribution():
    # Two points; the heavy one is picked first ~ in proportion to its weight.
    X = np.array([[0.0], [1.0]])
    firsts = [kmeans_plusplus(X, 1, sample_weight=[1, 3], random_state=s)[1][0] for s in range(400)]
    assert 0.68 < np.mean(firsts) < 0.82


def test_seed_and_thread_count_reproduce():
    X = np.random.default_rng(2).random((50000, 3)).astype(np.float32)
    a = kmeans_plusplus(X, 32, random_state=3, n_threads=1)
    b = kmeans_plusplus(X, 32, random_state=3, n_threads=2)
    np.testing.assert_array_equal(a[1], b[1])
    assert a[0].dtype == np.float32


def test_potential_is_close_to_a_good_clustering():
    X, _, _ = reference.blobs(3000, 3, 10, seed=4, spread=1.0)
    centers, _ = kmeans_plusplus(X, 10, random_state=0)
    potential = reference.sqdist(X, centers.astype(float)).min(axis=1).sum()
    assert potential < 3 * 3000 * 3 * 1.0  # within 3x of the blobs' own variance


def test_few_distinct_points_warns_and_keeps_n_clusters_rows():
    X = np.array([[1.0, 1.0]] * 5 + [[2.0, 2.0]] * 5)
    with pytest.warns(FewDistinctPointsWarning, match="only 2 distinct"):
        centers, indices = kmeans_plusplus(X, 4, random_state=0)
    assert centers.shape == (4, 2) and len(indices) == 4  # as scikit-learn: copies fill the rows
    assert sorted(set(centers[:, 0].tolist())) == [1.0, 2.0]
    np.testing.assert_array_equal(centers, X[indices])
    with pytest.warns(FewDistinctPointsWarning):  # so they seed KMeans as they are
        assert KMeans(4, init=centers).fit(X).cluster_centers_.shape == (4, 2)


def test_bad_input():
    with pytest.raises(InputError, match="n_clusters"):
        kmeans_plusplus(np.zeros((3, 2)), 0)
    with pytest.raises(InputError, match="positive sum"):
        kmeans_plusplus(np.zeros((3, 2)), 1, sample_weight=[0, 0, 0])
