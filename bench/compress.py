"""Benchmark: quantize.compress_image against the quantizers people use, on real photos.

In one process, on the same decoded pixels, for k = 16, 64, 256 and no dithering:
ours in CIELAB (the default) and in RGB, with the default threads and with one;
libimagequant (the `imagequant` PyPI binding, default speed, one thread); Pillow's
MEDIANCUT and FASTOCTREE; scikit-learn KMeans (n_init=1, fitted on a 100 000-pixel
sample as people do, then predicting every pixel) and MiniBatchKMeans (every pixel,
as in the Python Data Science Handbook). Times exclude decoding and encoding files
and are medians of --repeat runs. Errors: RGB MSE and mean CIEDE2000 (on a fixed
200 000-pixel sample). Prints per image and k, then geometric means of the ratios
to libimagequant per k.

    pip install '.[bench]'
    apt-get install -y mate-backgrounds     # photos of 4 to 18 MP
    python bench/compress.py
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab

import quantize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kmeans import DEFAULT_IMAGES, LARGE  # noqa: E402  (same photos as the engine benchmark)

DELTA_E_SAMPLE = 200_000


def ours(space, threads):
    def run(pixels, k):
        result = quantize.compress_image(pixels, k, space=space, random_state=0, n_threads=threads)
        return result.to_array()
    return run


def libimagequant(pixels, k):
    import imagequant
    rgba = Image.fromarray(pixels).convert("RGBA")
    return np.asarray(imagequant.quantize_pil_image(rgba, dithering_level=0.0, max_colors=k).convert("RGB"))


def pillow(method):
    def run(pixels, k):
        image = Image.fromarray(pixels).quantize(colors=k, method=method, dither=Image.Dither.NONE)
        return np.asarray(image.convert("RGB"))
    return run


def sklearn_kmeans(pixels, k):
    from sklearn.cluster import KMeans
    flat = pixels.reshape(-1, 3).astype(np.float32)
    sample = flat[np.random.default_rng(0).choice(len(flat), min(len(flat), 100_000), replace=False)]
    model = KMeans(k, n_init=1, random_state=0).fit(sample)
    return _decode(model, flat, pixels.shape)


def sklearn_minibatch(pixels, k):
    from sklearn.cluster import MiniBatchKMeans
    flat = pixels.reshape(-1, 3).astype(np.float32)
    model = MiniBatchKMeans(k, n_init=1, random_state=0).fit(flat)
    return _decode(model, flat, pixels.shape)


def _decode(model, flat, shape):
    palette = np.clip(np.rint(model.cluster_centers_), 0, 255).astype(np.uint8)
    return palette[model.predict(flat)].reshape(shape)


def measure(method, pixels, k, repeat):
    times, output = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        output = method(pixels, k)
        times.append(time.perf_counter() - start)
    return statistics.median(times), output


def errors(pixels, output, sample):
    diff = output.astype(np.float64) - pixels
    mse = float(np.mean(diff * diff))
    a = rgb2lab(pixels.reshape(-1, 3)[sample][None])[0]
    b = rgb2lab(output.reshape(-1, 3)[sample][None])[0]
    return mse, float(np.mean(deltaE_ciede2000(a, b)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path, help="default: sample_images + mate-backgrounds photos")
    parser.add_argument("-k", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="ours; default: all cores")
    parser.add_argument("--sklearn-max-mp", type=float, default=1.0,
                        help="run the scikit-learn peers only on images up to this size (they take "
                             "minutes per run on 4 MP); 0 leaves them out")
    args = parser.parse_args()

    methods = {
        "ours-lab": ours("lab", args.threads),
        "ours-rgb": ours("rgb", args.threads),
        "ours-rgb-1t": ours("rgb", 1),
        "libimagequant": libimagequant,
        "pil-mediancut": pillow(Image.Quantize.MEDIANCUT),
        "pil-fastoctree": pillow(Image.Quantize.FASTOCTREE),
    }
    sklearn_methods = {"sk-kmeans": sklearn_kmeans, "sk-minibatch": sklearn_minibatch}
    Image.MAX_IMAGE_PIXELS = None  # our own benchmark photos
    images = args.images or [p for p in DEFAULT_IMAGES if p.exists()]
    ratios = {(k, name): [] for k in args.k for name in methods | sklearn_methods}
    print(f"{'image':26} {'MP':>5} {'k':>4} {'method':15} {'seconds':>8} {'MSE':>8} {'PSNR':>6} {'dE2000':>7}")
    for path in images:
        pixels = np.asarray(Image.open(path).convert("RGB"))
        n = pixels.shape[0] * pixels.shape[1]
        sample = np.random.default_rng(0).choice(n, min(n, DELTA_E_SAMPLE), replace=False)
        repeat = 1 if n >= LARGE else args.repeat
        peers = methods | (sklearn_methods if n <= args.sklearn_max_mp * 1e6 else {})
        for k in args.k:
            rows = {}
            for name, method in peers.items():
                seconds, output = measure(method, pixels, k, repeat)
                mse, delta_e = errors(pixels, output, sample)
                rows[name] = (seconds, mse, delta_e)
                print(f"{path.name[:26]:26} {n / 1e6:5.1f} {k:4} {name:15} {seconds:8.3f} {mse:8.2f} "
                      f"{10 * np.log10(255 ** 2 / mse):6.2f} {delta_e:7.3f}", flush=True)
            base = rows["libimagequant"]
            for name, row in rows.items():
                ratios[(k, name)].append([r / b for r, b in zip(row, base)])
    print("\ngeometric means of ratios to libimagequant (time, RGB MSE, mean CIEDE2000):")
    for (k, name), values in ratios.items():
        if values:
            t, m, d = np.exp(np.log(np.array(values)).mean(axis=0))
            print(f"  k={k:<4} {name:15} time {t:6.3f}   MSE {m:6.3f}   dE2000 {d:6.3f}   ({len(values)} images)")


if __name__ == "__main__":
    main()
