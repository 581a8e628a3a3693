"""Benchmark: soft edges (--matting) against the hard cutout, on composites of known alpha.

Each Weizmann horse of the fgbg set (../shared/data/fgbg) is blended over the next
image of the set with its ground-truth mask blurred (Gaussian, --sigma px) as alpha:
I = alpha F + (1 - alpha) B, so the true alpha and the true subject colors F are
known. Our cut (with the mask's tight box grown by 10 px), and the true cut (the
mask itself, to see the edges alone), are each written as a hard cutout and as a
matted one. Prints, per method, the mean over images of:

- SAD: the sum of absolute alpha errors over the image, in thousands (the
  alphamatting.com convention);
- band color error: the mean absolute error of the premultiplied colors
  (alpha x color, 0-255) over the pixels where the true or the estimated alpha is
  fractional, or where they disagree: how much old background shows in the edge;
- the time of the matting step alone.

    python bench/matting.py
"""
import argparse
import csv
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

import quantize
from quantize.segment.matting import foreground_colors, soft_alpha

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "fgbg"


def composites(data, sigma, limit):
    rows = [r for r in csv.DictReader(open(data / "manifest.csv")) if r["name"].startswith("horse")][:limit]
    for row, other in zip(rows, rows[1:] + rows[:1]):
        subject = np.asarray(Image.open(data / row["image"]).convert("RGB")).astype(np.float32)
        mask = np.asarray(Image.open(data / row["mask"]).convert("L")) > 127
        height, width = mask.shape
        backdrop = Image.open(data / other["image"]).convert("RGB").resize((width, height), Image.LANCZOS)
        alpha = ndimage.gaussian_filter(mask.astype(np.float32), sigma)
        blended = alpha[:, :, None] * subject + (1 - alpha[:, :, None]) * np.asarray(backdrop, np.float32)
        yield row["name"], np.clip(np.rint(blended), 0, 255).astype(np.uint8), alpha, subject, mask


def tight_box(mask, margin):
    rows, cols = np.nonzero(mask)
    top, left = max(0, rows.min() - margin), max(0, cols.min() - margin)
    return left, top, min(mask.shape[1], cols.max() + margin + 1) - left, min(mask.shape[0], rows.max() + margin + 1) - top


def errors(alpha, colors, true_alpha, true_colors):
    sad = float(np.abs(alpha - true_alpha).sum()) / 1000
    band = ((true_alpha > 0.01) & (true_alpha < 0.99)) | ((alpha > 0) & (alpha < 1)) | \
           (np.abs(alpha - true_alpha) > 0.5)
    premultiplied = alpha[:, :, None] * colors.astype(np.float32)
    truth = true_alpha[:, :, None] * true_colors
    return sad, float(np.abs(premultiplied - truth)[band].mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sigma", type=float, default=1.5, help="blur of the true alpha, px")
    parser.add_argument("--limit", type=int, default=60)
    args = parser.parse_args()
    rows = {}
    for name, image, true_alpha, true_colors, mask in composites(args.data, args.sigma, args.limit):
        ours = quantize.segment_foreground(image, box=tight_box(mask, 10), random_state=0)
        for label, cut in (("our cut", ours), ("true cut", mask)):
            rows.setdefault(f"{label}, hard", []).append(
                (*errors(cut.astype(np.float32), image, true_alpha, true_colors), 0.0))
            start = time.perf_counter()
            alpha = soft_alpha(image, cut)
            colors = foreground_colors(image, alpha)
            seconds = time.perf_counter() - start
            rows.setdefault(f"{label}, --matting", []).append(
                (*errors(alpha, colors, true_alpha, true_colors), seconds))
    print(f"{len(rows['our cut, hard'])} composites, true alpha = mask blurred with sigma {args.sigma} px")
    print(f"{'method':22} {'SAD (k)':>8} {'band color error':>17} {'matting s (median)':>19}")
    for method, values in rows.items():
        values = np.array(values)
        print(f"{method:22} {values[:, 0].mean():8.3f} {values[:, 1].mean():17.2f} "
              f"{statistics.median(values[:, 2]):19.4f}")


if __name__ == "__main__":
    main()
