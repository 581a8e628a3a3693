"""Pythran kernel for the mini-batch k-means center update.

Plain Python compiled by Pythran; the tests also import it uncompiled. A batch is
small (about a thousand rows), so the update runs serially: it is cheap next to
the nearest-center search, and a serial sum is reproducible by construction.

Compiled, each exported kernel runs with the GIL released (Pythran's generated
wrapper releases it around the call), so Python threads can run kernels at once.
"""
import numpy as np

#pythran export minibatch_update(float32[:,:], float64[:], int32[:], float64[:,:], float64[:])
#pythran export minibatch_update(float64[:,:], float64[:], int32[:], float64[:,:], float64[:])


def minibatch_update(X, sample_weight, labels, centers, weight_sums):
    """Move each center to the weighted mean of everything it has seen so far.

    ``weight_sums[j]`` is the total weight center j has absorbed before this batch;
    both it and ``centers`` are updated in place. Returns the squared distance the
    centers moved, summed over centers.

    Parameters
    ----------
    X : (batch_size, n_features) float32 or float64, read: the batch.
    sample_weight : (batch_size,) float64, read.
    labels : (batch_size,) int32, read: nearest center of each row.
    centers : (n_clusters, n_features) float64, read and updated in place.
    weight_sums : (n_clusters,) float64, read and updated in place.

    Returns the squared center shift, a float. Thread safety: serial, keeps no
    module-level state and writes only ``centers`` and ``weight_sums``, so it is
    safe to call concurrently on separate buffers, which must not be shared (one
    estimator's ``_centers64`` and ``_weight_sums`` updated from two threads).
    """
    n_clusters, n_features = centers.shape
    batch_sums = np.zeros((n_clusters, n_features))
    batch_weights = np.zeros(n_clusters)
    for i in range(X.shape[0]):
        j = labels[i]
        w = sample_weight[i]
        for f in range(n_features):
            batch_sums[j, f] += w * X[i, f]
        batch_weights[j] += w
    moved_sq = 0.0
    for j in range(n_clusters):
        if batch_weights[j] > 0.0:
            total = weight_sums[j] + batch_weights[j]
            for f in range(n_features):
                new = (centers[j, f] * weight_sums[j] + batch_sums[j, f]) / total
                moved_sq += (new - centers[j, f]) ** 2
                centers[j, f] = new
            weight_sums[j] = total
    return moved_sq
