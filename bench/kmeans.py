"""Benchmark: quantize.KMeans against scikit-learn's KMeans (lloyd) on real pixel clouds.

Both run in this process on the same float32 pixels, from the same initial centers
(k-means++ on a 200 000-pixel sample), with n_init=1, the same max_iter and tol, and
the same number of threads. Prints per image and k the median wall time of each, the
time ratio (ours / scikit-learn) and the inertia ratio, then geometric means per k.

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
    parser.add_argument("--load", action="store_true", help="run a busy process on one core meanwhile")
    args = parser.parse_args()

    from sklearn.cluster import KMeans as SKKMeans
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
    print(f"{'image':28} {'MP':>5} {'k':>4} {'ours s':>8} {'sklearn s':>9} {'time ratio':>10} "
          f"{'inertia ratio':>13} {'iters':>9}")
    ratios = {k: [] for k in args.k}
    try:
        for name, X in clouds.items():
            repeat = 1 if len(X) >= LARGE else args.repeat
            for k in args.k:
                init = initial_centers(X, k)
                ours_s, ours = timed(lambda: quantize.KMeans(
                    k, init=init, max_iter=args.max_iter, tol=args.tol, n_threads=args.threads).fit(X), repeat)
                with threadpool_limits(limits=args.threads):
                    sk_s, sk = timed(lambda: SKKMeans(
                        k, init=init, n_init=1, max_iter=args.max_iter, tol=args.tol,
                        algorithm="lloyd").fit(X), repeat)
                ratios[k].append((ours_s / sk_s, ours.inertia_ / sk.inertia_))
                print(f"{name:28} {len(X) / 1e6:5.1f} {k:4} {ours_s:8.3f} {sk_s:9.3f} {ours_s / sk_s:10.3f} "
                      f"{ours.inertia_ / sk.inertia_:13.5f} {ours.n_iter_:4}/{sk.n_iter_:<4}", flush=True)
    finally:
        stop.set()
    print("geometric means over images:")
    for k, pairs in ratios.items():
        t, i = np.array(pairs).T
        print(f"  k={k:<4} time ratio {np.exp(np.log(t).mean()):.3f}   inertia ratio {np.exp(np.log(i).mean()):.5f}")


if __name__ == "__main__":
    main()
