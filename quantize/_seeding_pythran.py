"""Pythran kernels for greedy k-means++ seeding.

Plain Python compiled by Pythran (OpenMP); the tests also import it uncompiled.
Each point keeps ``closest_sq``, its squared distance to the nearest chosen
center, and ``closest``, that center's index. A candidate ``c`` can only bring a
point closer if ``|c - centers[closest]|^2 < 4 * closest_sq`` (triangle
inequality), so once a few centers are chosen most distances are never computed.
Potentials (sums of ``sample_weight * closest_sq``) are written per chunk of
``chunk_rows`` rows and reduced by the driver in chunk order: the thread count
never changes a result.
"""
import numpy as np

#pythran export trial_potentials(float32[:,:], float64[:], float64[:], int32[:], float64[:,:], float64[:,:], float64[:,:], int, int)
#pythran export trial_potentials(float64[:,:], float64[:], float64[:], int32[:], float64[:,:], float64[:,:], float64[:,:], int, int)
#pythran export add_center(float32[:,:], float64[:], float64[:], int32[:], float64[:], int, float64[:], float64[:], int, int)
#pythran export add_center(float64[:,:], float64[:], float64[:], int32[:], float64[:], int, float64[:], float64[:], int, int)


def _sqdist_to(X, i, point):
    d = 0.0
    for f in range(X.shape[1]):
        t = X[i, f] - point[f]
        d += t * t
    return d


def _trial_chunk(X, sample_weight, closest_sq, closest, candidates, candidate_gaps,
                 potentials, c, start, stop):
    potentials[c] = 0.0
    for i in range(start, stop):
        d_old = closest_sq[i]
        w = sample_weight[i]
        a = closest[i]
        for t in range(candidates.shape[0]):
            d = d_old
            if candidate_gaps[t, a] < 4.0 * d_old:
                d = min(d_old, _sqdist_to(X, i, candidates[t]))
            potentials[c, t] += w * d


def trial_potentials(X, sample_weight, closest_sq, closest, candidates,
                     candidate_gaps, potentials, chunk_rows, n_threads):
    """Potential of each candidate, per chunk: ``potentials[c, t]`` is the sum over
    chunk c of ``sample_weight * min(closest_sq, |x - candidates[t]|^2)``.
    ``candidate_gaps[t, j]`` is the squared distance of candidate t to center j."""
    n = X.shape[0]
    #omp parallel for schedule(dynamic) num_threads(n_threads)
    for c in range(potentials.shape[0]):
        _trial_chunk(X, sample_weight, closest_sq, closest, candidates, candidate_gaps,
                     potentials, c, c * chunk_rows, min(n, (c + 1) * chunk_rows))


def _add_center_chunk(X, sample_weight, closest_sq, closest, center, index, gaps,
                      potentials, c, start, stop):
    pot = 0.0
    for i in range(start, stop):
        if gaps[closest[i]] < 4.0 * closest_sq[i]:
            d = _sqdist_to(X, i, center)
            if d < closest_sq[i]:
                closest_sq[i] = d
                closest[i] = index
        pot += sample_weight[i] * closest_sq[i]
    potentials[c] = pot


def add_center(X, sample_weight, closest_sq, closest, center, index, gaps, potentials,
               chunk_rows, n_threads):
    """Make ``center`` (number ``index``) a chosen center: update ``closest_sq`` and
    ``closest``, and write each chunk's new potential. ``gaps[j]`` is the squared
    distance of ``center`` to chosen center j (anything but inf for the first)."""
    n = X.shape[0]
    #omp parallel for schedule(dynamic) num_threads(n_threads)
    for c in range(potentials.shape[0]):
        _add_center_chunk(X, sample_weight, closest_sq, closest, center, index, gaps,
                          potentials, c, c * chunk_rows, min(n, (c + 1) * chunk_rows))
