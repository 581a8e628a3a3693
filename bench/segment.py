"""Benchmark: quantize.segment_foreground against OpenCV's GrabCut on real photos.

On the fgbg evaluation set (../shared/data/fgbg beside the repository: 60 Weizmann
horses and 60 DAVIS 2016 frames with ground-truth masks), in one process on the
same decoded pixels:

- ours with a box: the tight box of the ground-truth mask grown by --margin px
  (clipped to the image);
- ours with no box: a frame along the image edges is the background prior;
- cv2.grabCut, 5 iterations, the same box (GC_INIT_WITH_RECT). When the grown box
  covers the whole image GrabCut has no background sample and raises; the box
  itself then counts as its answer.

Prints mean IoU, pixel error rate, images below IoU 0.5 and the median and mean
time per image, over all images and per subset; and for ours with no box, how well
its confidence tells the cuts of IoU >= 0.5 from the rest (AUC), and what the
command line's checks (MIN_CONFIDENCE, then MIN_STABILITY for the cuts above it)
refuse and keep; the no-box time includes the stability check's two extra cuts.

    pip install '.[bench]'
    python bench/segment.py
"""
import argparse
import csv
import json
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

import quantize

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "fgbg"


def grown_box(box, margin, shape):
    x, y, width, height = box
    rows, cols = shape
    left, top = max(0, x - margin), max(0, y - margin)
    right, bottom = min(cols, x + width + margin), min(rows, y + height + margin)
    return left, top, right - left, bottom - top


def ours_box(pixels, box):
    return quantize.segment_foreground(pixels, box=box, random_state=0)


def ours_no_box(pixels, box):
    """The cut, its confidence and, as the command line checks it for the cuts sure
    enough, its stability across seeds (NaN below the threshold): its time counts."""
    from quantize.segment.confidence import MIN_CONFIDENCE
    mask, confidence = quantize.segment_foreground(pixels, random_state=0, return_confidence=True)
    sure = confidence >= MIN_CONFIDENCE
    stability = quantize.segment.cut_stability(pixels, mask, random_state=0) if sure else np.nan
    return mask, (confidence, stability)


def grabcut(pixels, box):
    import cv2
    mask = np.zeros(pixels.shape[:2], np.uint8)
    models = np.zeros((1, 65)), np.zeros((1, 65))
    try:
        cv2.grabCut(np.ascontiguousarray(pixels[:, :, ::-1]), mask, tuple(int(v) for v in box),
                    *models, 5, cv2.GC_INIT_WITH_RECT)
    except cv2.error:  # no background sample: the box covers the image
        x, y, width, height = box
        mask[y:y + height, x:x + width] = cv2.GC_FGD
    return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)


METHODS = {"ours (box)": ours_box, "ours (no box)": ours_no_box, "cv2.grabCut (box)": grabcut}


def load_set(data, limit):
    rows = list(csv.DictReader(open(data / "manifest.csv")))
    boxes = json.loads((data / "boxes.json").read_text())
    for row in rows[:limit]:
        pixels = np.asarray(Image.open(data / row["image"]).convert("RGB"))
        truth = np.asarray(Image.open(data / row["mask"])) > 0
        yield row["name"], pixels, truth, boxes[row["name"]]


def on_canvases(photos, times):
    """Each photo pasted at the center of the next one scaled to ``times`` its width
    and height, with its mask and (ungrown) box moved there."""
    for i, (name, pixels, truth, box) in enumerate(photos):
        rows, cols = truth.shape
        backdrop = Image.fromarray(photos[(i + 1) % len(photos)][1]).resize((times * cols, times * rows),
                                                                              Image.BILINEAR)
        canvas = np.array(backdrop)
        top, left = (times - 1) // 2 * rows, (times - 1) // 2 * cols
        canvas[top:top + rows, left:left + cols] = pixels
        placed = np.zeros(canvas.shape[:2], bool)
        placed[top:top + rows, left:left + cols] = truth
        x, y, width, height = box
        yield name, canvas, placed, (x + left, y + top, width, height)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--margin", type=int, default=10, help="px added around the tight box")
    parser.add_argument("--limit", type=int, default=None, help="first N images only")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--per-image", action="store_true")
    parser.add_argument("--canvas", type=int, default=1,
                        help="paste each photo at the center of a canvas this many times its width and height "
                             "(the next photo of the set scaled up), the box moved with it: small boxes on "
                             "large photos")
    args = parser.parse_args()
    results = {name: [] for name in args.methods}
    photos = load_set(args.data, args.limit)
    if args.canvas > 1:
        photos = on_canvases(list(photos), args.canvas)
    for name, pixels, truth, box in photos:
        box = grown_box(box, args.margin, truth.shape)
        for method in args.methods:
            start = time.perf_counter()
            mask = METHODS[method](pixels, box)
            seconds = time.perf_counter() - start
            mask, (confidence, stability) = mask if isinstance(mask, tuple) else (mask, (np.nan, np.nan))
            iou = (mask & truth).sum() / max(1, (mask | truth).sum())
            results[method].append((name, iou, (mask != truth).mean(), seconds, confidence, stability))
            if args.per_image:
                print(f"{name:32s} {method:20s} IoU {iou:.3f} confidence {confidence:.3f} stability "
                      f"{stability:.3f} {seconds:.3f} s", flush=True)
    subsets = {"all": lambda n: True, "horses": lambda n: n.startswith("horse"),
               "DAVIS": lambda n: n.startswith("davis")}
    print(f"\n{'method':20s} {'subset':7s} {'n':>4s} {'mean IoU':>9s} {'error %':>8s} {'IoU<0.5':>8s} "
          f"{'median s':>9s} {'mean s':>7s}")
    for method, rows in results.items():
        for subset, belongs in subsets.items():
            part = [r for r in rows if belongs(r[0])]
            if not part:
                continue
            ious, errors, times = (np.array([r[i] for r in part]) for i in (1, 2, 3))
            print(f"{method:20s} {subset:7s} {len(part):4d} {ious.mean():9.4f} {100 * errors.mean():8.2f} "
                  f"{int((ious < 0.5).sum()):8d} {statistics.median(times):9.3f} {times.mean():7.3f}")
    if "ours (no box)" in results:
        confidence_report(results["ours (no box)"])


def confidence_report(rows):
    """How the no-box confidence ranks the cuts, and what the CLI's checks (the
    confidence threshold, then the stability across seeds) refuse and keep."""
    from quantize.segment.confidence import MIN_CONFIDENCE
    from quantize.segment.foreground import MIN_STABILITY
    ious = np.array([r[1] for r in rows])
    confidence = np.array([r[4] for r in rows])
    stability = np.array([r[5] for r in rows])
    good = ious >= 0.5
    pairs = [(c_good > c_bad) + 0.5 * (c_good == c_bad)
             for c_good in confidence[good] for c_bad in confidence[~good]]
    unsure = confidence < MIN_CONFIDENCE
    unstable = ~unsure & (stability < MIN_STABILITY)
    refused = unsure | unstable
    horses = np.array([r[0].startswith("horse") for r in rows])
    print(f"\nno-box confidence: AUC {np.mean(pairs):.3f} for IoU >= 0.5 ({good.sum()} cuts) against the rest "
          f"({(~good).sum()}); below {MIN_CONFIDENCE}: {unsure.sum()} cuts refused, {(unsure & ~good).sum()} of "
          f"them under IoU 0.5; then {unstable.sum()} whose cuts with other seeds overlap less than "
          f"{MIN_STABILITY} ({(unstable & ~good).sum()} under IoU 0.5); mean IoU of the refused "
          f"{ious[refused].mean() if refused.any() else np.nan:.3f}, of the {(~refused).sum()} kept "
          f"{ious[~refused].mean():.3f}; horses kept {(~refused & horses).sum()} of {horses.sum()}")


if __name__ == "__main__":
    main()
