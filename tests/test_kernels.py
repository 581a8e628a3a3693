"""The compiled kernels: that they are the ones running, that they agree with their
own source run as plain Python, and with a NumPy reference."""
import importlib.machinery

import numpy as np
import pytest
import reference

from quantize import kernels
from quantize.engine.nearest import CenterGeometry

CHUNK = 7  # small chunks, so tiny inputs still span several


@pytest.mark.parametrize("module", [kernels.nearest, kernels.lloyd, kernels.seeding, kernels.minibatch, kernels.histogram,
                                    kernels.mixture, kernels.contrast])
def test_compiled_kernels_are_running(module):
    assert module.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)), module.__file__
    assert "Supported prototypes" in module.__dict__[next(
        name for name in dir(module) if not name.startswith("_") and callable(getattr(module, name))
    )].__doc__


def test_package_refuses_the_uncompiled_source(monkeypatch):
    plain = reference.load_kernel_source("_lloyd_pythran")
    monkeypatch.setattr("importlib.import_module", lambda name: plain)
    with pytest.raises(ImportError, match="uncompiled kernel source"):
        kernels._import_compiled("_lloyd_pythran")


def _problem(seed, n=40, d=3, k=5, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    centers = rng.normal(size=(k, d))
    return X, centers, rng.uniform(0.5, 2.0, n)


def _assign(module, X, centers, need_second):
    g = CenterGeometry.of(centers)
    n = len(X)
    labels, dist, lower = np.empty(n, np.int32), np.empty(n), np.empty(n)
    module.assign_nearest(X, centers, g.order, g.cc_sorted, labels, dist, lower, need_second, CHUNK, 2)
    return labels, dist, lower


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [1, 2, 7, 60])
def test_assign_nearest_matches_reference_and_source(dtype, k):
    # Rows in random order: each row's hint (the previous row's center) is poor, so
    # the search restarts from better centers it meets (k = 60).
    X, centers, _ = _problem(k, n=40 if k < 60 else 400, k=k, dtype=dtype)
    plain = reference.load_kernel_source("_nearest_pythran")
    labels, dist, lower = _assign(kernels.nearest, X, centers, True)
    ref_labels, ref_dist, ref_second = reference.nearest(X, centers)
    np.testing.assert_array_equal(labels, ref_labels)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-12)
    np.testing.assert_allclose(lower, ref_second, rtol=1e-12)
    for got, want in zip(_assign(plain, X, centers, True), (labels, dist, lower)):
        np.testing.assert_array_equal(got, want)
    labels_only, dist_only, _ = _assign(kernels.nearest, X, centers, False)
    np.testing.assert_array_equal(labels_only, ref_labels)
    np.testing.assert_allclose(dist_only, ref_dist, rtol=1e-12)


@pytest.mark.parametrize("move", [0.01, 1.0])
@pytest.mark.parametrize("n_sorted", [12, 4])
def test_center_geometry_repairs_the_order_after_centers_move(move, n_sorted):
    rng = np.random.default_rng(3)
    centers = rng.normal(size=(12, 3))
    centers[5] = centers[4]  # duplicate centers: each still comes first in its own row
    geometry = CenterGeometry.of(centers)
    moved = centers + rng.normal(scale=move, size=centers.shape)
    dist = np.sqrt(((moved[:, None] - moved[None]) ** 2).sum(axis=2))
    unknown = np.full(12, np.inf)  # no bounds to carry over: every row recomputed
    for module in (kernels.nearest, reference.load_kernel_source("_nearest_pythran")):
        order, cc = geometry.order.copy(), np.empty_like(geometry.cc_sorted)
        module.center_geometry(moved, order, cc, n_sorted, unknown, np.inf, 2)
        np.testing.assert_array_equal(order[:, 0], np.arange(12))
        np.testing.assert_array_equal(np.sort(order, axis=1), np.tile(np.arange(12), (12, 1)))
        along = np.take_along_axis(dist, order, axis=1)
        np.testing.assert_allclose(along[:, :n_sorted], np.sort(dist, axis=1)[:, :n_sorted], rtol=1e-12)
        rest_min = np.minimum.accumulate(along[:, ::-1], axis=1)[:, ::-1]
        np.testing.assert_allclose(cc[:, :n_sorted], along[:, :n_sorted], rtol=1e-12)
        np.testing.assert_allclose(cc[:, n_sorted:], rest_min[:, n_sorted:], rtol=1e-12)


def test_center_geometry_carries_the_rest_bounds_over_small_moves():
    rng = np.random.default_rng(5)
    centers = rng.normal(size=(40, 3))
    n_sorted = 8
    geometry = CenterGeometry.of(centers)
    moved = centers + rng.normal(scale=0.002, size=centers.shape)
    shift = np.sqrt(((moved - centers) ** 2).sum(axis=1))
    dist = np.sqrt(((moved[:, None] - moved[None]) ** 2).sum(axis=2))
    for module in (kernels.nearest, reference.load_kernel_source("_nearest_pythran")):
        order, cc = geometry.order.copy(), geometry.cc_sorted.copy()
        module.center_geometry(moved, order, cc, n_sorted, shift, shift.max(), 2)
        kept = np.isclose(cc[:, n_sorted:], geometry.cc_sorted[:, n_sorted:] - (shift + shift.max())[:, None],
                          rtol=0, atol=1e-12).all(axis=1)
        assert kept.mean() > 0.5  # most rows took no distance to the rest
        np.testing.assert_array_equal(order[:, 0], np.arange(40))
        along = np.take_along_axis(dist, order, axis=1)
        suffix_min = np.minimum.accumulate(along[:, ::-1], axis=1)[:, ::-1]
        assert (cc[:, 1:] <= suffix_min[:, 1:] + 1e-12).all()  # lower bounds on every later center
        assert (np.diff(cc, axis=1) >= -1e-12).all()           # never decreasing along a row
        np.testing.assert_allclose(cc[:, 1], np.sort(dist, axis=1)[:, 1], rtol=1e-12)  # the nearest, exact
        assert (along[:, 1:n_sorted] == np.sort(along[:, 1:n_sorted], axis=1)).all()  # the sorted part


def _lloyd_step(module, X, w, centers, labels, upper, lower, shift, other_shift):
    g = CenterGeometry.of(centers)
    n_chunks = -(-len(X) // CHUNK)
    sums = np.empty((n_chunks, len(centers), X.shape[1]))
    weights = np.empty((n_chunks, len(centers)))
    changed = np.empty(n_chunks, np.int64)
    labels, upper, lower = labels.copy(), upper.copy(), lower.copy()
    module.cluster_sums(X, w, labels, sums, weights, CHUNK, 2)
    near_shift, far_bound = g.neighbour_bounds(shift)
    module.lloyd_step(X, w, centers, g.order, g.cc_sorted, g.half_gap, shift, other_shift, near_shift,
                      far_bound, labels, upper, lower, sums, weights, changed, CHUNK, 2)
    return labels, upper, lower, sums, weights, changed


def _checked_lloyd_step(X, w, old_centers, centers, labels, upper, lower):
    """One step from bounds for ``old_centers`` to ``centers``, compiled and from the
    source (equal), its labels the NumPy nearest and its bounds valid. Returns (the
    step's outputs, the reference labels, the reference second distances)."""
    shift = np.sqrt(((centers - old_centers) ** 2).sum(axis=1))
    other = np.array([np.delete(shift, j).max() for j in range(len(shift))])
    got = _lloyd_step(kernels.lloyd, X, w, centers, labels, upper, lower, shift, other)
    plain = _lloyd_step(reference.load_kernel_source("_lloyd_pythran"), X, w, centers, labels,
                        upper, lower, shift, other)
    for a, b in zip(got, plain):
        np.testing.assert_array_equal(a, b)
    ref_labels, ref_dist, ref_second = reference.nearest(X, centers)
    np.testing.assert_array_equal(got[0], ref_labels)
    assert (got[1] >= ref_dist - 1e-12).all() and (got[2] <= ref_second + 1e-12).all()
    return got, ref_labels, ref_second


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lloyd_step_matches_reference_and_source(dtype):
    X, old_centers, w = _problem(3, n=60, k=6, dtype=dtype)
    labels, upper, lower = _assign(kernels.nearest, X, old_centers, True)
    centers = old_centers + np.random.default_rng(4).normal(0, 0.3, old_centers.shape)
    (new_labels, _, _, sums, weights, changed), ref_labels, _ = _checked_lloyd_step(
        X, w, old_centers, centers, labels, upper, lower)
    assert changed.sum() == (ref_labels != labels).sum()
    for j in range(len(centers)):
        members = ref_labels == j
        np.testing.assert_allclose(weights.sum(axis=0)[j], w[members].sum(), rtol=1e-12)
        np.testing.assert_allclose(sums.sum(axis=0)[j], (w[members, None] * X[members]).sum(axis=0),
                                   rtol=1e-6, atol=1e-9)


def test_lloyd_step_bounds_a_row_by_its_centers_neighbours():
    # 64 clusters on a grid; every center moves a little, and center 0 a long way,
    # to the middle between its neighbours 1 and 4: rows of those clusters may now
    # be nearer to it, rows far away cannot. The largest move alone (Hamerly's
    # bound) would search twice as many rows as the neighbours' moves do.
    rng = np.random.default_rng(7)
    grid = np.stack(np.meshgrid(np.arange(4), np.arange(4), np.arange(4), indexing="ij"), -1).reshape(-1, 3)
    old_centers = grid[:, ::-1].astype(np.float64)
    X = old_centers[rng.integers(0, 64, 4000)] + rng.normal(0, 0.35, (4000, 3))
    w = rng.uniform(0.5, 2.0, len(X))
    labels, upper, lower = _assign(kernels.nearest, X, old_centers, True)
    centers = old_centers + rng.normal(0, 0.01, old_centers.shape)
    centers[0] = (old_centers[1] + old_centers[4]) / 2
    (_, _, new_lower, _, _, _), ref_labels, ref_second = _checked_lloyd_step(
        X, w, old_centers, centers, labels, upper, lower)
    assert (ref_labels != labels).sum() > 20  # center 0 took rows from its neighbours
    shift = np.sqrt(((centers - old_centers) ** 2).sum(axis=1))
    other = np.array([np.delete(shift, j).max() for j in range(len(shift))])
    # A searched row leaves with its exact second distance; Hamerly's bound alone
    # would search every row whose distance to its moved center passes it.
    searched = np.isclose(new_lower, ref_second, rtol=0, atol=1e-12)
    to_own = np.sqrt(((X - centers[labels]) ** 2).sum(axis=1))
    hamerly_searches = to_own > np.maximum(lower - other[labels], CenterGeometry.of(centers).half_gap[labels])
    assert searched.mean() < 0.6 * hamerly_searches.mean()


def test_labelled_sqdist_matches_reference():
    X, centers, _ = _problem(5)
    labels = np.random.default_rng(0).integers(0, len(centers), len(X)).astype(np.int32)
    out = np.empty(len(X))
    kernels.nearest.labelled_sqdist(X, centers, labels, out, CHUNK, 2)
    np.testing.assert_allclose(out, ((X - centers[labels]) ** 2).sum(axis=1), rtol=1e-12)


def _seed(module, X, w, k, n_preset, draws):
    centers = np.zeros((k, X.shape[1]))
    centers[:n_preset] = X[:n_preset]
    indices = np.full(k, -2, np.int64)
    n_chunks, t = -(-len(X) // CHUNK), draws.shape[1]
    n = module.kmeans_plusplus(X, w, centers, n_preset, draws, indices, np.full(len(X), np.inf),
                               np.zeros(len(X), np.int64), np.zeros(n_chunks), np.zeros((n_chunks, t)),
                               np.zeros((t, X.shape[1])), np.zeros((t, k)), np.zeros(k),
                               np.zeros(t, np.int64), np.empty((n_chunks, X.shape[1])),
                               np.empty((n_chunks, X.shape[1])), np.empty(n_chunks), CHUNK, 2)
    return n, centers, indices


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_preset", [0, 2])
def test_seeding_kernel_matches_source_and_greedy_rule(dtype, n_preset):
    X, _, w = _problem(6, n=50, dtype=dtype)
    draws = np.random.default_rng(1).random((6, 3))
    n, centers, indices = _seed(kernels.seeding, X, w, 6, n_preset, draws)
    plain = _seed(reference.load_kernel_source("_seeding_pythran"), X, w, 6, n_preset, draws)
    assert n == plain[0] == 6
    np.testing.assert_array_equal(centers, plain[1])
    np.testing.assert_array_equal(indices, plain[2])
    assert (indices[:n_preset] == -1).all()
    np.testing.assert_array_equal(centers[n_preset:], X[indices[n_preset:]].astype(np.float64))
    if n_preset == 0:
        assert indices.tolist() == reference.kmeans_plusplus(X, w, 6, draws)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_seeding_skips_far_blocks_without_changing_the_draws(dtype):
    # Tight clusters, listed cluster by cluster (as colors are, bin by bin): most
    # 7-row blocks lie far from each new candidate, so the kernel skips them; the
    # greedy rule computed on every row must still pick the same rows.
    rng = np.random.default_rng(2)
    sites = rng.uniform(0, 100, (12, 3))
    X = (np.repeat(sites, 14, axis=0) + rng.normal(0, 0.5, (168, 3))).astype(dtype)
    w = rng.uniform(0.5, 2.0, len(X))
    draws = rng.random((10, 4))
    n, centers, indices = _seed(kernels.seeding, X, w, 10, 0, draws)
    assert n == 10
    assert indices.tolist() == reference.kmeans_plusplus(X, w, 10, draws)
    plain = _seed(reference.load_kernel_source("_seeding_pythran"), X, w, 10, 0, draws)
    np.testing.assert_array_equal(indices, plain[2])


def test_seeding_stops_when_every_point_is_a_center():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0]]), 10, axis=0)
    n, centers, _ = _seed(kernels.seeding, X, np.ones(20), 5, 0, np.random.default_rng(0).random((5, 3)))
    assert n == 2 and {tuple(c) for c in centers[:2]} == {(0.0, 0.0), (1.0, 1.0)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_minibatch_update_matches_reference_and_source(dtype):
    X, centers, w = _problem(7, n=30, k=4, dtype=dtype)
    labels = reference.nearest(X, centers)[0].astype(np.int32)
    weight_sums = np.array([0.0, 2.0, 5.0, 1.0])
    got_c, got_s = centers.copy(), weight_sums.copy()
    moved = kernels.minibatch.minibatch_update(X, w, labels, got_c, got_s)
    plain_c, plain_s = centers.copy(), weight_sums.copy()
    plain_moved = reference.load_kernel_source("_minibatch_pythran").minibatch_update(
        X, w, labels, plain_c, plain_s)
    np.testing.assert_array_equal(got_c, plain_c)
    assert moved == pytest.approx(plain_moved, rel=1e-12)
    for j in range(4):
        m = labels == j
        if m.any():
            want = (centers[j] * weight_sums[j] + (w[m, None] * X[m]).sum(axis=0)) / (weight_sums[j] + w[m].sum())
            np.testing.assert_allclose(got_c[j], want, rtol=1e-6)
            assert got_s[j] == pytest.approx(weight_sums[j] + w[m].sum())
    assert moved == pytest.approx(((got_c - centers) ** 2).sum(), rel=1e-9)


def _distinct(module, X, max_distinct):
    words = X.view(np.uint32)
    hashes = np.empty(len(X), np.uint32)
    module.row_hashes(words, hashes, 2)
    rows, row_hashes = np.empty((max_distinct, words.shape[1]), np.uint32), np.empty(max_distinct, np.uint32)
    inverse = np.empty(len(X), np.int32)
    n_distinct = module.distinct_rows(words, hashes, rows, row_hashes, inverse, max_distinct)
    return n_distinct, rows[:max(n_distinct, 0)].view(X.dtype), inverse


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_distinct_rows_match_numpy_unique_and_source(dtype):
    rng = np.random.default_rng(0)
    palette = rng.integers(0, 60, (3000, 3)).astype(dtype) / 7  # more than the table's first 2048 slots hold
    X = palette[rng.integers(0, len(palette), 9000)]
    first_rows = np.sort(np.unique(X, axis=0, return_index=True)[1])  # first appearance of each
    plain = reference.load_kernel_source("_histogram_pythran")
    for module in (kernels.histogram, plain):
        n_distinct, rows, inverse = _distinct(module, X, len(X))
        assert n_distinct == len(first_rows)
        np.testing.assert_array_equal(rows, X[first_rows])
        np.testing.assert_array_equal(rows[inverse], X)
        assert _distinct(module, X, n_distinct - 1)[0] == -1  # one more than allowed: stops


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_expand_to_pixels_matches_numpy_for_any_thread_count(dtype):
    rng = np.random.default_rng(0)
    per_color = rng.integers(0, np.iinfo(dtype).max, 300).astype(dtype)
    inverse = rng.integers(0, 300, 10_000).astype(np.int32)
    for n_threads in (1, 2, 3):
        per_pixel = np.empty(len(inverse), dtype)
        kernels.histogram.expand_to_pixels(inverse, per_color, per_pixel, n_threads)
        np.testing.assert_array_equal(per_pixel, per_color[inverse])


def test_counts_in_region_match_numpy_and_their_source():
    rng = np.random.default_rng(0)
    inverse = rng.integers(0, 40, 5000).astype(np.int32)
    region = rng.random(5000) < 0.3
    expected = np.bincount(inverse[region], minlength=40)
    plain = reference.load_kernel_source("_histogram_pythran")
    for module in (kernels.histogram, plain):
        counts = np.zeros(40, np.int64)
        module.counts_in_region(inverse, region, counts)
        np.testing.assert_array_equal(counts, expected)
