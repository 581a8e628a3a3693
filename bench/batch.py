"""Benchmark: folder throughput of ``quantize compress`` against pngquant.

Builds a folder of real photos (the sample images at several scales and crops,
saved as PNG: --copies per image, 200 files by default) and times, on the same
files at the same number of colors:

- ``quantize compress DIR -k N -o OUT --jobs 1`` and ``--jobs 2`` (a subprocess
  each, so interpreter start-up and imports count, as for a user);
- the same through a local Dask cluster (2 worker processes, 1 thread each,
  on 127.0.0.1) with ``--scheduler``;
- pngquant (the Debian package) over the same files, two processes at a time.

Prints images per second, each run's ratio to pngquant, the --jobs 2 / --jobs 1
speed-up, and the cost per task of an empty task in the local process pool and
in Dask. Medians of --repeat runs.

    apt-get install -y pngquant
    pip install '.[bench,dask]'
    python bench/batch.py
"""
import argparse
import concurrent.futures as futures
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kmeans import SAMPLE_NAMES  # noqa: E402  (the photos the repository ships)

SAMPLES = Path(__file__).resolve().parents[1] / "sample_images"
SCALES = (1.0, 0.85, 0.7, 0.55)


def build_folder(folder, copies):
    """copies files per sample image: each a scale and crop of it, as PNG."""
    count = 0
    for source in (SAMPLES / name for name in SAMPLE_NAMES):
        if source.suffix.lower() not in (".png", ".jpg"):
            continue
        image = Image.open(source).convert("RGB")
        for i in range(copies):
            scale = SCALES[i % len(SCALES)]
            crop = 1.0 - 0.02 * (i // len(SCALES))
            width, height = image.size
            box = (0, 0, int(width * crop), int(height * crop))
            resized = image.crop(box).resize((max(8, int(box[2] * scale)), max(8, int(box[3] * scale))))
            resized.save(folder / f"{source.stem}_{i:03d}.png")
            count += 1
    return count


def time_ours(folder, out, colors, extra):
    shutil.rmtree(out, ignore_errors=True)
    command = ["quantize", "-q", "compress", str(folder), "-k", str(colors), "-o", str(out), *extra]
    start = time.perf_counter()
    # Run where a user would, outside the source checkout (see local_executor's preload).
    subprocess.run(command, check=True, cwd=folder.parent)
    return time.perf_counter() - start


def time_pngquant(folder, out, colors, processes=2):
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    files = sorted(folder.glob("*.png"))

    def one(path):
        subprocess.run(["pngquant", str(colors), "--force", "--output", str(out / path.name), str(path)],
                       check=True)
    start = time.perf_counter()
    with futures.ThreadPoolExecutor(processes) as pool:
        list(pool.map(one, files))
    return time.perf_counter() - start


def _nothing(_):
    return None


def overhead_per_task(executor, n=400):
    list(executor.map(_nothing, range(20)))  # warm up the workers
    start = time.perf_counter()
    list(executor.map(_nothing, range(n)))
    return (time.perf_counter() - start) / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=40, help="files per sample image (5 images)")
    parser.add_argument("-k", "--colors", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = tmp / "photos"
        folder.mkdir()
        n_files = build_folder(folder, args.copies)
        megapixels = sum(Image.open(p).width * Image.open(p).height for p in folder.glob("*.png")) / 1e6
        print(f"{n_files} PNG files, {megapixels:.1f} MP in all, k={args.colors}, median of {args.repeat}")
        runs = {"quantize --jobs 1": lambda: time_ours(folder, tmp / "o1", args.colors, ["--jobs", "1"]),
                "quantize --jobs 2": lambda: time_ours(folder, tmp / "o2", args.colors, ["--jobs", "2"]),
                "pngquant, 2 processes": lambda: time_pngquant(folder, tmp / "op", args.colors)}
        cluster = client = None
        if not args.no_dask:
            from distributed import Client, LocalCluster
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address="127.0.0.1:0")
            client = Client(cluster)
            runs["quantize --scheduler (Dask, 2 workers)"] = lambda: time_ours(
                folder, tmp / "od", args.colors, ["--scheduler", cluster.scheduler_address, "--threads", "1"])
        seconds = {name: statistics.median(run() for _ in range(args.repeat)) for name, run in runs.items()}
        reference = n_files / seconds["pngquant, 2 processes"]
        print(f"\n{'run':42s} {'seconds':>8s} {'images/s':>9s} {'vs pngquant':>12s}")
        for name, value in seconds.items():
            rate = n_files / value
            print(f"{name:42s} {value:8.2f} {rate:9.1f} {rate / reference:12.2f}")
        print(f"\n--jobs 2 / --jobs 1 throughput: {seconds['quantize --jobs 1'] / seconds['quantize --jobs 2']:.2f}x")
        from quantize.batch.runners import local_executor
        with local_executor(2) as pool:
            print(f"empty task, local process pool: {1e3 * overhead_per_task(pool):.2f} ms")
        if client is not None:
            print(f"empty task, Dask: {1e3 * overhead_per_task(client.get_executor()):.2f} ms")
            client.close()
            cluster.close()


if __name__ == "__main__":
    sys.exit(main())
