"""Benchmark: quantize.KMeans and MiniBatchKMeans against scikit-learn's on real pixel clouds.

Both run in this process on the same float32 pixels, from the same initial centers
(k-means++ on a 200 000-pixel sample), with n_init=1 and the same number of threads;
Lloyd with the same max_iter and tol, mini-batch with batches of 1024 for one pass
(--minibatch-passes) and one seed, and mini-batch again with both at their defaults
(early stopping decides the work). Prints per image and k the median wall time of each, the time ratio
(ours / scikit-learn) and the ratio of the inertias over every pixel, then
geometric means per estimator and k.

    pip install '.[bench]'
    apt-get install -y mate-backgrounds     # photos of 4-18 MP, one of them >= 12 MP
    python bench/kmeans.py                  # all images, k = 16 64 256, 2 threads
    python bench/kmeans.py --load           # the same with a busy process competing

Not a test: timings on a shared machine are noisy, so read medians and ratios.
"""
import argparse
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

import quantize

ROOT = Path(__file__).resolve().parents[1]
WALLPAPERS = Path("/usr/share/backgrounds/mate")
# The shipped photos by name: the README's examples write other files beside them.
SAMPLE_NAMES = ("astronaut.png", "chelsea.png", "china.jpg", "coffee.png", "rocket.jpg")
DEFAULT_IMAGES = [
    *(ROOT / "sample_images" / name for name in SAMPLE_NAMES),
    WALLPAPERS / "nature" / "Garden.jpg",          # 2560x1600 photo
    WALLPAPERS / "nature" / "LadyBird.jpg",        # 2560x1600 photo
    WALLPAPERS / "abstract" / "Elephants_5640x3172.jpg",  # 17.9 MP photo of a painting
]
LARGE = 12_000_000


def pixel_cloud(path):
    Image.MAX_IMAGE_PIXELS = None  # our own benchmark files, not untrusted input
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.float32).reshape(-1, 3)


def initial_centers(X, k, seed=0):
    rng = np.random.default_rng(seed)
    sample = X[rng.choice(len(X), size=min(len(X), 200_000), replace=False)]
    return quantize.kmeans_plusplus(sample, k, random_state=seed)[0]


def timed(fit, repeat):
    times, model = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - start)
    return statistics.median(times), model


def busy_loop(stop):
    while not stop.is_set():
        sum(range(10_000))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path, help="default: sample_images + mate-backgrounds photos")
    parser.add_argument("-k", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median); 1 for >= 12 MP")
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--only", choices=list(ONLY), help="one estimator (minibatch: fixed passes; "
                                                         "minibatch-defaults: both at their defaults)")
    parser.add_argument("--minibatch-passes", type=int, default=1, help="passes over the pixels, mini-batch")
    parser.add_argument("--load", action="store_true", help="run a busy process on one core meanwhile")
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    images = args.images or [p for p in DEFAULT_IMAGES if p.exists()]
    clouds = {p.name: pixel_cloud(p) for p in images}
    if not any(len(X) >= LARGE for X in clouds.values()):
        print("note: no image of >= 12 MP; apt-get install mate-backgrounds supplies one", file=sys.stderr)

    stop = multiprocessing.Event()
    loader = multiprocessing.Process(target=busy_loop, args=(stop,), daemon=True)
    if args.load:
        loader.start()
    print(f"threads={args.threads} max_iter={args.max_iter} tol={args.tol} load={args.load}")
    kinds = [kind for kind in ESTIMATORS if args.only is None or kind == ONLY[args.only]]
    ratios = {(kind, k): [] for kind in kinds for k in args.k}
    try:
        for kind in kinds:
            print(f"\n{kind}: ours against scikit-learn's, the same initial centers")
            print(f"{'image':28} {'MP':>5} {'k':>4} {'ours s':>8} {'sklearn s':>9} {'time ratio':>10} "
                  f"{'inertia ratio':>13} {'iters':>9}")
            for name, X in clouds.items():
                repeat = 1 if len(X) >= LARGE else args.repeat
                for k in args.k:
                    ours, theirs = ESTIMATORS[kind](k, initial_centers(X, k), args)
                    ours_s, ours_fit = timed(lambda: ours.fit(X), repeat)
                    with threadpool_limits(limits=args.threads):
                        sk_s, sk_fit = timed(lambda: theirs.fit(X), repeat)
                    ours_inertia, sk_inertia = inertia(X, ours_fit), inertia(X, sk_fit)
                    ratios[kind, k].append((ours_s / sk_s, ours_inertia / sk_inertia))
                    print(f"{name:28} {len(X) / 1e6:5.1f} {k:4} {ours_s:8.3f} {sk_s:9.3f} {ours_s / sk_s:10.3f} "
                          f"{ours_inertia / sk_inertia:13.5f} {ours_fit.n_iter_:4}/{sk_fit.n_iter_:<4}", flush=True)
    finally:
        stop.set()
    print("\ngeometric means over images:")
    for (kind, k), pairs in ratios.items():
        t, i = np.array(pairs).T
        print(f"  {kind:15} k={k:<4} time ratio {np.exp(np.log(t).mean()):.3f} (worst {t.max():.3f})   "
              f"inertia ratio {np.exp(np.log(i).mean()):.5f} (worst {i.max():.5f})")


def lloyd_pair(k, init, args):
    from sklearn.cluster import KMeans as SKKMeans

    return (quantize.KMeans(k, init=init, max_iter=args.max_iter, tol=args.tol, n_threads=args.threads),
            SKKMeans(k, init=init, n_init=1, max_iter=args.max_iter, tol=args.tol, algorithm="lloyd"))


def minibatch_pair(k, init, args):
    """Batches of 1024 (scikit-learn's default) for a fixed number of passes over the
    pixels, without early stopping: when the smoothed batch inertia stops improving
    is noise, and stopped early the two ran 1 or 2 passes at random, their times 0.03x
    to 2.5x apart and their inertias up to 16%."""
    from sklearn.cluster import MiniBatchKMeans as SKMiniBatchKMeans

    fixed = dict(init=init, batch_size=1024, max_iter=args.minibatch_passes, max_no_improvement=None, tol=0.0,
                 random_state=0)
    return (quantize.MiniBatchKMeans(k, n_threads=args.threads, **fixed),
            SKMiniBatchKMeans(k, n_init=1, **fixed))


def minibatch_defaults_pair(k, init, args):
    """Both at their defaults (batches of 1024, max_iter=100, early stopping on the
    smoothed batch inertia), from the same initial centers and seed: what a user
    gets, the work each decides to do."""
    from sklearn.cluster import MiniBatchKMeans as SKMiniBatchKMeans

    return (quantize.MiniBatchKMeans(k, init=init, random_state=0, n_threads=args.threads),
            SKMiniBatchKMeans(k, init=init, n_init=1, random_state=0))


ESTIMATORS = {"Lloyd (KMeans)": lloyd_pair, "MiniBatchKMeans": minibatch_pair,
              "MiniBatchKMeans, defaults": minibatch_defaults_pair}
ONLY = {"lloyd": "Lloyd (KMeans)", "minibatch": "MiniBatchKMeans", "minibatch-defaults": "MiniBatchKMeans, defaults"}


def inertia(X, fit):
    """The fit's inertia over every row of X, computed the same way for both (a
    mini-batch fit's own ``inertia_`` is over X too, but recomputed here to be sure)."""
    centers = fit.cluster_centers_.astype(np.float64)
    total = 0.0
    for start in range(0, len(X), 1 << 18):
        block = X[start:start + (1 << 18)].astype(np.float64)
        d = ((block[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
        total += float(d[np.arange(len(block)), fit.labels_[start:start + (1 << 18)]].sum())
    return total

if __name__ == "__main__":
    main()
