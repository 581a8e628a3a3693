"""Pythran kernel: the negative log-likelihood of colors under a Gaussian mixture.

Plain Python compiled by Pythran (OpenMP); the tests also import it uncompiled.
Segmentation turns each codebook into a mixture (one Gaussian per codeword) and
needs -log p(color) for every distinct color of the image, once per round.

Compiled, each exported kernel runs with the GIL released (Pythran's generated
wrapper releases it around the call), so Python threads can run kernels at once.
"""
import numpy as np

#pythran export mixture_nll(float64[:,:], float64[:,:], float64[:,:,:], float64[:], float64[:], int, int)


def mixture_nll(X, means, precisions, log_coefs, out, chunk_rows, n_threads):
    """out[i] = -log sum_j exp(log_coefs[j] - (X[i] - means[j])' precisions[j] (X[i] - means[j]) / 2).

    X (n, 3); means (k, 3); precisions (k, 3, 3) symmetric; log_coefs (k,) holds
    log(weight) - log det(2 pi covariance) / 2. Each row is independent, so the
    result does not depend on the thread count.

    Parameters
    ----------
    X : (n, 3) float64, read.
    means : (k, 3) float64, read.
    precisions : (k, 3, 3) float64, read: inverse covariances.
    log_coefs : (k,) float64, read.
    out : (n,) float64, written: -log p(X[i]).
    chunk_rows : int, rows per parallel chunk (the driver's ``CHUNK_ROWS``).
    n_threads : int, OpenMP threads over the chunks.

    Returns nothing. Thread safety: keeps no module-level state and writes only
    ``out``, so it is safe to call concurrently on separate ``out`` buffers, which
    must not be shared; arrays it only reads may be shared if nobody writes them
    meanwhile.
    """
    n = X.shape[0]
    k = means.shape[0]
    n_chunks = (n + chunk_rows - 1) // chunk_rows
    #omp parallel for num_threads(n_threads) schedule(dynamic)
    for c in range(n_chunks):
        terms = np.empty(k)
        for i in range(c * chunk_rows, min(n, (c + 1) * chunk_rows)):
            # Written out, no helper per row: under OpenMP a helper taking arrays
            # costs an atomic reference count per call.
            best = -np.inf
            for j in range(k):
                d0 = X[i, 0] - means[j, 0]
                d1 = X[i, 1] - means[j, 1]
                d2 = X[i, 2] - means[j, 2]
                quad = (precisions[j, 0, 0] * d0 * d0 + precisions[j, 1, 1] * d1 * d1
                        + precisions[j, 2, 2] * d2 * d2
                        + 2.0 * (precisions[j, 0, 1] * d0 * d1 + precisions[j, 0, 2] * d0 * d2
                                 + precisions[j, 1, 2] * d1 * d2))
                terms[j] = log_coefs[j] - 0.5 * quad
                if terms[j] > best:
                    best = terms[j]
            total = 0.0
            for j in range(k):
                total += np.exp(terms[j] - best)
            out[i] = -(best + np.log(total))
