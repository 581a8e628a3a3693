"""Benchmark: quantize.compress_image against the quantizers people use, on real photos.

In one process, on the same decoded pixels, for k = 16, 64, 256: ours in OKLab (the
default), CIELAB and RGB, with the default threads and with one, plain and
dithered (--dither's default strength); libimagequant (the `imagequant` PyPI
binding, default speed, one thread), plain and dithered; Pillow's MEDIANCUT and
FASTOCTREE; scikit-learn KMeans (n_init=1, fitted on a 100 000-pixel sample as
people do, then predicting every pixel) and MiniBatchKMeans (every pixel, as in
the Python Data Science Handbook). Times exclude decoding and encoding files and
are medians of --repeat runs.

Errors: RGB MSE and mean CIEDE2000 (on a fixed 200 000-pixel sample), and what the
eye sees: SSIMULACRA2 (the `ssimulacra2` package; higher is better, 90 visually
lossless) and butteraugli's 3-norm (`butteraugli_main` from Debian's
libjxl-devtools, when installed; lower is better), on images up to
--perceptual-max-mp. PNG bytes: ours as `quantize compress` writes them against
pngquant's (`pngquant K --nofs` for plain, `pngquant K` for dithered), when
pngquant is installed, as Pillow encodes them and recompressed (`--optimize`,
oxipng), with the time of that recompression over Pillow's encoding. Prints per image and k, then means of SSIMULACRA2 and
butteraugli and geometric means of the ratios to libimagequant per k.

    pip install '.[bench]'
    apt-get install -y mate-backgrounds pngquant libjxl-devtools   # 4-18 MP photos, peers
    python bench/compress.py
"""
import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab

import quantize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kmeans import DEFAULT_IMAGES, LARGE  # noqa: E402  (same photos as the engine benchmark)

DELTA_E_SAMPLE = 200_000


class Output:
    """A method's decoded pixels and, for ours, the PNG file it writes."""

    def __init__(self, pixels, png=None):
        self.pixels, self.png = pixels, png


def ours(space, threads, dither=False):
    def run(pixels, k):
        result = quantize.compress_image(pixels, k, space=space, dither=dither, random_state=0, n_threads=threads)
        return Output(result.to_array(), result.encoded)
    return run


def libimagequant(dither):
    def run(pixels, k):
        import imagequant
        rgba = Image.fromarray(pixels).convert("RGBA")
        image = imagequant.quantize_pil_image(rgba, dithering_level=1.0 if dither else 0.0, max_colors=k)
        return Output(np.asarray(image.convert("RGB")))
    return run


def pillow(method):
    def run(pixels, k):
        image = Image.fromarray(pixels).quantize(colors=k, method=method, dither=Image.Dither.NONE)
        return Output(np.asarray(image.convert("RGB")))
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
    return Output(palette[model.predict(flat)].reshape(shape))


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


class Perceptual:
    """SSIMULACRA2 and butteraugli of outputs against one original, through PNG files."""

    def __init__(self, pixels, folder):
        self.folder = folder
        self.original = folder / "original.png"
        Image.fromarray(pixels).save(self.original)

    def __call__(self, output):
        import ssimulacra2
        distorted = self.folder / "distorted.png"
        Image.fromarray(output).save(distorted)
        score = ssimulacra2.compute_ssimulacra2(str(self.original), str(distorted))
        return score, butteraugli(self.original, distorted)


def butteraugli(original, distorted):
    if shutil.which("butteraugli_main") is None:
        return float("nan")
    run = subprocess.run(["butteraugli_main", str(original), str(distorted), "--pnorm", "3"],
                         capture_output=True, text=True, check=True)
    return float(run.stdout.split("3-norm:")[1].split()[0])


def pngquant_bytes(path, k, dither):
    """Bytes of pngquant's PNG of the image at ``path`` (decoded to PNG first)."""
    if shutil.which("pngquant") is None:
        return float("nan")
    with open(path, "rb") as f:
        png = io.BytesIO()
        Image.open(f).convert("RGB").save(png, format="PNG")
    command = ["pngquant", str(k)] + ([] if dither else ["--nofs"]) + ["-"]
    return len(subprocess.run(command, input=png.getvalue(), capture_output=True, check=True).stdout)


def png_sizes(encoded, pngquant):
    """Our PNG's bytes over pngquant's, as written and with --optimize, and the
    time of the recompression over that of Pillow's encoding."""
    start = time.perf_counter()
    plain = encoded("png")
    encoding = time.perf_counter() - start
    start = time.perf_counter()
    optimized = quantize.compress.optimize_png(plain)
    return len(plain) / pngquant, len(optimized) / pngquant, (time.perf_counter() - start) / encoding


def geometric_mean(values):
    values = values[np.isfinite(values)]
    return np.exp(np.log(values).mean()) if values.size else np.nan


PERCEPTUAL = {"ours-oklab", "ours-lab", "ours-rgb", "libimagequant", "ours-oklab-dither", "ours-lab-dither",
              "libimagequant-dither"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path, help="default: sample_images + mate-backgrounds photos")
    parser.add_argument("-k", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="ours; default: all cores")
    parser.add_argument("--sklearn-max-mp", type=float, default=1.0,
                        help="run the scikit-learn peers only on images up to this size (they take "
                             "minutes per run on 4 MP); 0 leaves them out")
    parser.add_argument("--perceptual-max-mp", type=float, default=5.0,
                        help="SSIMULACRA2 and butteraugli on images up to this size (the Python "
                             "SSIMULACRA2 takes ~8 s on 4 MP); 0 leaves them out")
    parser.add_argument("--methods", help="comma-separated method names to run (default: all); "
                                          "libimagequant always runs, as the base of the ratios")
    args = parser.parse_args()

    methods = {
        "ours-oklab": ours("oklab", args.threads),
        "ours-lab": ours("lab", args.threads),
        "ours-rgb": ours("rgb", args.threads),
        "ours-rgb-1t": ours("rgb", 1),
        "ours-oklab-1t": ours("oklab", 1),
        "libimagequant": libimagequant(False),
        "ours-oklab-dither": ours("oklab", args.threads, True),
        "ours-lab-dither": ours("lab", args.threads, True),
        "libimagequant-dither": libimagequant(True),
        "pil-mediancut": pillow(Image.Quantize.MEDIANCUT),
        "pil-fastoctree": pillow(Image.Quantize.FASTOCTREE),
    }
    sklearn_methods = {"sk-kmeans": sklearn_kmeans, "sk-minibatch": sklearn_minibatch}
    if args.methods is not None:
        chosen = {name for name in args.methods.split(",") if name} | {"libimagequant"}
        unknown = chosen - set(methods) - set(sklearn_methods)
        if unknown or chosen == {"libimagequant"} and "libimagequant" not in args.methods:
            parser.error(f"unknown methods: {', '.join(sorted(unknown)) or '(none given)'}; "
                         f"choose from {', '.join([*methods, *sklearn_methods])}")
        methods = {name: run for name, run in methods.items() if name in chosen}
        sklearn_methods = {name: run for name, run in sklearn_methods.items() if name in chosen}
    Image.MAX_IMAGE_PIXELS = None  # our own benchmark photos
    images = args.images or [p for p in DEFAULT_IMAGES if p.exists()]
    rows_of = {(k, name): [] for k in args.k for name in methods | sklearn_methods}
    print(f"{'image':26} {'MP':>5} {'k':>4} {'method':20} {'seconds':>8} {'MSE':>8} {'PSNR':>6} {'dE2000':>7} "
          f"{'SSIMU2':>7} {'butter':>7} {'PNG/pq':>7} {'opt/pq':>7} {'opt t':>6}")
    with tempfile.TemporaryDirectory() as scratch:
        for path in images:
            pixels = np.asarray(Image.open(path).convert("RGB"))
            n = pixels.shape[0] * pixels.shape[1]
            sample = np.random.default_rng(0).choice(n, min(n, DELTA_E_SAMPLE), replace=False)
            repeat = 1 if n >= LARGE else args.repeat
            peers = methods | (sklearn_methods if n <= args.sklearn_max_mp * 1e6 else {})
            perceptual = Perceptual(pixels, Path(scratch)) if n <= args.perceptual_max_mp * 1e6 else None
            for k in args.k:
                rows = {}
                for name, method in peers.items():
                    seconds, output = measure(method, pixels, k, repeat)
                    mse, delta_e = errors(pixels, output.pixels, sample)
                    ssim2, butter = perceptual(output.pixels) if perceptual and name in PERCEPTUAL else (np.nan,) * 2
                    size, optimized, slower = (png_sizes(output.png, pngquant_bytes(path, k, "dither" in name))
                                               if output.png is not None and "-1t" not in name else (np.nan,) * 3)
                    rows[name] = (seconds, mse, delta_e, ssim2, butter, size, optimized, slower)
                    print(f"{path.name[:26]:26} {n / 1e6:5.1f} {k:4} {name:20} {seconds:8.3f} {mse:8.2f} "
                          f"{10 * np.log10(255 ** 2 / mse):6.2f} {delta_e:7.3f} {ssim2:7.2f} {butter:7.3f} "
                          f"{size:7.3f} {optimized:7.3f} {slower:6.1f}", flush=True)
                base = rows["libimagequant"]
                for name, row in rows.items():
                    rows_of[(k, name)].append([*(r / b for r, b in zip(row[:3], base[:3])), *row[3:]])
    print("\ngeometric means of time, RGB MSE and mean CIEDE2000 over libimagequant's; mean SSIMULACRA2 and")
    print("butteraugli 3-norm (on images up to --perceptual-max-mp); geometric means of PNG bytes over pngquant's,")
    print("as written and with --optimize, and median time of --optimize's recompression over Pillow's encoding:")
    for (k, name), values in rows_of.items():
        if values:
            values = np.array(values)
            t, m, d = np.exp(np.log(values[:, :3]).mean(axis=0))
            ssim2, butter = (np.nanmean(values[:, i]) if np.isfinite(values[:, i]).any() else np.nan for i in (3, 4))
            size, optimized = (geometric_mean(values[:, i]) for i in (5, 6))
            slower = np.nanmedian(values[:, 7]) if np.isfinite(values[:, 7]).any() else np.nan
            print(f"  k={k:<4} {name:20} time {t:6.3f}   MSE {m:6.3f}   dE2000 {d:6.3f}   SSIMULACRA2 {ssim2:6.2f}"
                  f"   butteraugli {butter:6.3f}   PNG/pngquant {size:6.3f}   optimized {optimized:6.3f} "
                  f"({slower:4.1f}x)   ({len(values)} images)")


if __name__ == "__main__":
    main()
