"""Benchmark: what choosing the number of colors costs, against one compress_image.

For each photo (0.4 MP: the sample images and Debian's mate-backgrounds photos
scaled to 0.4 MP), the median time of `choose_n_colors(photo, range(2, 65))` by the
elbow and by the silhouette, over that of `compress_image(photo, 64)`, in one
process on the same pixels; and the picks.

    python bench/choose.py
"""
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

import quantize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kmeans import DEFAULT_IMAGES  # noqa: E402

TARGET_PIXELS = 400_000


def at_04_mp(path):
    Image.MAX_IMAGE_PIXELS = None  # our own benchmark photos
    with Image.open(path) as image:
        image = image.convert("RGB")
        scale = (TARGET_PIXELS / (image.width * image.height)) ** 0.5
        if scale < 1:
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
        return np.asarray(image)


def median_time(run, repeat=5):
    run()  # warm-up: the first call allocates the color table
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    images = [p for p in DEFAULT_IMAGES if p.exists()]
    print(f"{'image':28} {'MP':>5} {'compress k=64':>14} {'elbow/compress':>15} {'silhouette/compress':>20} picks")
    ratios = {"elbow": [], "silhouette": []}
    for path in images:
        pixels = at_04_mp(path)
        one = median_time(lambda: quantize.compress_image(pixels, 64, random_state=0))
        row, picks = [], []
        for method in ratios:
            seconds = median_time(lambda: quantize.choose_n_colors(pixels, range(2, 65), method=method,
                                                                   random_state=0))
            ratios[method].append(seconds / one)
            row.append(seconds / one)
            picks.append(quantize.choose_n_colors(pixels, range(2, 65), method=method, random_state=0).n_colors)
        print(f"{path.name[:28]:28} {pixels.shape[0] * pixels.shape[1] / 1e6:5.2f} {one:14.3f} {row[0]:15.2f} "
              f"{row[1]:20.2f} {picks}", flush=True)
    for method, values in ratios.items():
        print(f"median {method} sweep 2..64 / compress_image k=64: {statistics.median(values):.2f} "
              f"(max {max(values):.2f})")


if __name__ == "__main__":
    main()
