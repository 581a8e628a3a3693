"""Benchmark: soft edges (--matting) against the hard cutout, on composites of known alpha.

Each Weizmann horse of the fgbg set (../shared/data/fgbg) is blended over a
backdrop with its ground-truth mask blurred (Gaussian, --sigma px) as alpha:
I = alpha F + (1 - alpha) B, so the true alpha and the true subject colors F are
known. The backdrop (--backdrops davis, the default) is a window of the horse's size
cut from a DAVIS frame of the set where that frame's own subject is not (a street,
a field, water; some hold a crowd, which a cut may keep). --backdrops horses blends
over the next horse photo scaled to the same size, as this benchmark did before
2026-12-03: that photo's horse then stands inside the box, and the cuts keeping it
were most of our cut's error there. Our cut (with the mask's tight box grown by 10 px), and the true cut (the
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


def composites(data, sigma, limit, backdrops="davis"):
    rows = list(csv.DictReader(open(data / "manifest.csv")))
    horses = [r for r in rows if r["name"].startswith("horse")][:limit]
    frames = [r for r in rows if r["name"].startswith("davis")]
    for i, row in enumerate(horses):
        subject = np.asarray(Image.open(data / row["image"]).convert("RGB")).astype(np.float32)
        mask = np.asarray(Image.open(data / row["mask"]).convert("L")) > 127
        if backdrops == "davis":
            backdrop = subject_free_window(data, frames[i % len(frames):] + frames[:i % len(frames)], mask.shape)
        else:
            backdrop = np.asarray(Image.open(data / horses[(i + 1) % len(horses)]["image"]).convert("RGB")
                                  .resize(mask.shape[::-1], Image.LANCZOS))
        alpha = ndimage.gaussian_filter(mask.astype(np.float32), sigma)
        blended = alpha[:, :, None] * subject + (1 - alpha[:, :, None]) * backdrop.astype(np.float32)
        yield row["name"], np.clip(np.rint(blended), 0, 255).astype(np.uint8), alpha, subject, mask


def subject_free_window(data, frames, shape, stride=8):
    """A window of ``shape`` from the first of ``frames`` (manifest rows) that has
    one holding no pixel of its subject: of those, the one nearest its center."""
    rows, cols = shape
    for frame in frames:
        taken = np.asarray(Image.open(data / frame["mask"]).convert("L")) > 127
        if taken.shape[0] < rows or taken.shape[1] < cols:
            continue
        table = np.pad(taken.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
        tops, lefts = np.meshgrid(np.arange(0, taken.shape[0] - rows + 1, stride),
                                  np.arange(0, taken.shape[1] - cols + 1, stride), indexing="ij")
        inside = (table[tops + rows, lefts + cols] - table[tops, lefts + cols]
                  - table[tops + rows, lefts] + table[tops, lefts])
        free = inside == 0
        if free.any():
            distance = np.hypot(tops + rows / 2 - taken.shape[0] / 2, lefts + cols / 2 - taken.shape[1] / 2)
            best = np.argmin(np.where(free, distance, np.inf))
            top, left = int(tops.flat[best]), int(lefts.flat[best])
            pixels = np.asarray(Image.open(data / frame["image"]).convert("RGB"))
            return pixels[top:top + rows, left:left + cols]
    raise RuntimeError(f"no frame has a window of {cols}x{rows} without its subject")


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
    parser.add_argument("--backdrops", choices=("davis", "horses"), default="davis",
                        help="what each horse is blended over (see above)")
    args = parser.parse_args()
    rows = {}
    for name, image, true_alpha, true_colors, mask in composites(args.data, args.sigma, args.limit, args.backdrops):
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
    print(f"{len(rows['our cut, hard'])} composites over {args.backdrops} backdrops, "
          f"true alpha = mask blurred with sigma {args.sigma} px")
    print(f"{'method':22} {'SAD (k)':>8} {'band color error':>17} {'matting s (median)':>19}")
    for method, values in rows.items():
        values = np.array(values)
        print(f"{method:22} {values[:, 0].mean():8.3f} {values[:, 1].mean():17.2f} "
              f"{statistics.median(values[:, 2]):19.4f}")


if __name__ == "__main__":
    main()
