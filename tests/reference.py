"""Slow, obviously correct NumPy versions of what the kernels compute."""
import importlib.util
from pathlib import Path

import numpy as np

SOURCE = Path(__file__).resolve().parents[1] / "quantize" / "kernels"


def load_kernel_source(name):
    """Import quantize/kernels/<name>.py as plain Python, bypassing the compiled module."""
    spec = importlib.util.spec_from_file_location(f"plain_{name}", SOURCE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sqdist(X, centers):
    X = np.asarray(X, dtype=np.float64)
    return ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)


def nearest(X, centers):
    """(labels, distance to nearest, distance to second nearest)."""
    d = np.sqrt(sqdist(X, centers))
    order = np.argsort(d, axis=1, kind="stable")
    rows = np.arange(len(X))
    second = d[rows, order[:, 1]] if centers.shape[0] > 1 else np.full(len(X), np.inf)
    return order[:, 0], d[rows, order[:, 0]], second


def lloyd(X, w, centers, max_iter, tol):
    """Plain weighted Lloyd with scikit-learn's stopping rules; no empty clusters expected."""
    X = np.asarray(X, dtype=np.float64)
    mean = np.average(X, axis=0, weights=w)
    tol = np.mean(np.average((X - mean) ** 2, axis=0, weights=w)) * tol
    centers = np.array(centers, dtype=np.float64)
    labels_old = None
    strict = False
    for n_iter in range(1, max_iter + 1):
        labels = nearest(X, centers)[0]
        new = np.array([np.average(X[labels == j], axis=0, weights=w[labels == j])
                        for j in range(len(centers))])
        shift = ((new - centers) ** 2).sum()
        centers = new
        if labels_old is not None and (labels == labels_old).all():
            strict = True
            break
        if shift <= tol:
            break
        labels_old = labels
    if not strict:
        labels = nearest(X, centers)[0]
    inertia = float((w * ((X - centers[labels]) ** 2).sum(axis=1)).sum())
    return centers, labels, inertia, n_iter


def blobs(n_samples, n_features, n_centers, seed, spread=1.0, dtype=np.float64):
    """Gaussian blobs around random centers in [0, 100)^n_features."""
    rng = np.random.default_rng(seed)
    true_centers = rng.uniform(0, 100, (n_centers, n_features))
    labels = rng.integers(0, n_centers, n_samples)
    X = true_centers[labels] + rng.normal(0, spread, (n_samples, n_features))
    return X.astype(dtype), labels, true_centers


def kmeans_plusplus(X, w, k, draws):
    """Greedy k-means++ drawing rows where the running sum of w * D^2 passes
    draws * total, as the kernel does; returns the chosen rows."""
    X = np.asarray(X, dtype=np.float64)
    rows = [int(np.searchsorted(np.cumsum(w), draws[0, 0] * w.sum(), side="right"))]
    for c in range(1, k):
        mass = w * sqdist(X, X[rows]).min(axis=1)
        candidates = np.searchsorted(np.cumsum(mass), draws[c] * mass.sum(), side="right")
        potentials = [(w * sqdist(X, X[rows + [int(r)]]).min(axis=1)).sum() for r in candidates]
        rows.append(int(candidates[int(np.argmin(potentials))]))
    return rows
