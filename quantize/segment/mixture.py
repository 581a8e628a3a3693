"""A codebook as a color likelihood: one Gaussian per codeword.

Segmentation fits a k-means codebook to the colors of each region (foreground,
background) and needs how well every color fits each region. Each codeword
becomes a Gaussian with the weight, mean and covariance of the colors assigned
to it: the mixture GrabCut learns with EM, here from one weighted k-means fit.
"""
from dataclasses import dataclass

import numpy as np

from .. import kernels
from .._parallel import CHUNK_ROWS
from ..engine.lloyd import KMeans

# Added to every covariance's diagonal (feature units squared: ΔE^2 in Lab). A
# codeword holding one flat color would otherwise get a zero covariance and an
# infinitely sharp peak; 1 ΔE is below what the eye separates.
COVARIANCE_FLOOR = 1.0
# Lloyd iterations per fit: the likelihood needs a good codebook, not a converged one.
MAX_ITER = 20


@dataclass(frozen=True)
class GaussianMixture:
    """means (k, 3); precisions (k, 3, 3), the inverse covariances; log_coefs (k,)."""
    means: np.ndarray
    precisions: np.ndarray
    log_coefs: np.ndarray

    def negative_log_likelihood(self, X, n_threads):
        """-log p(x) for each row of X (n, 3) float64."""
        out = np.empty(len(X))
        kernels.mixture.mixture_nll(X, self.means, self.precisions, self.log_coefs, out,
                                    CHUNK_ROWS, n_threads)
        return out


def fit_mixture(X, sample_weight, n_codewords, rng, n_threads):
    """Fit a k-means codebook to X (n, 3) with weights and turn it into a mixture.

    Rows with zero weight are ignored; with fewer distinct rows than codewords,
    one codeword per row.
    """
    present = sample_weight > 0
    X, sample_weight = X[present], sample_weight[present]
    k = min(n_codewords, len(X))
    fit = KMeans(k, max_iter=MAX_ITER, random_state=rng, n_threads=n_threads).fit(
        X, sample_weight=sample_weight)
    # With fewer distinct rows than codewords, KMeans keeps copies no row takes: leave them out.
    used, labels = np.unique(fit.labels_, return_inverse=True)
    k = len(used)
    weight = np.bincount(labels, weights=sample_weight, minlength=k)
    means = np.stack([np.bincount(labels, weights=sample_weight * X[:, f], minlength=k)
                      for f in range(3)], axis=1) / weight[:, None]
    covariances = np.empty((k, 3, 3))
    centered = X - means[labels]
    for a in range(3):
        for b in range(a, 3):
            moment = np.bincount(labels, weights=sample_weight * centered[:, a] * centered[:, b],
                                 minlength=k) / weight
            covariances[:, a, b] = covariances[:, b, a] = moment
    covariances += COVARIANCE_FLOOR * np.eye(3)
    _, log_det = np.linalg.slogdet(covariances)
    log_coefs = np.log(weight / weight.sum()) - 0.5 * (log_det + 3 * np.log(2 * np.pi))
    return GaussianMixture(means, np.linalg.inv(covariances), log_coefs)
