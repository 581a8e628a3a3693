"""The README's picture of plain and dithered output beside pngquant's.

A crop of a smooth area of a sample photo at k = 16, magnified 2x without
smoothing, so banding and specks show: the original, ours plain and with
--dither, pngquant --nofs and pngquant (dithered). Needs pngquant (Debian).

    python bench/pictures.py            # writes docs/dither.png
"""
import io
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

import quantize

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "sample_images" / "coffee.png"
CROP = (20, 20, 220, 170)  # left, top, right, bottom: the cup's rim and the smooth wall
K = 16
SCALE = 2


def pngquant(pixels, dither):
    png = io.BytesIO()
    Image.fromarray(pixels).save(png, format="PNG")
    command = ["pngquant", str(K)] + ([] if dither else ["--nofs"]) + ["-"]
    out = subprocess.run(command, input=png.getvalue(), capture_output=True, check=True).stdout
    return np.asarray(Image.open(io.BytesIO(out)).convert("RGB"))


def main():
    pixels = np.asarray(Image.open(PHOTO).convert("RGB"))
    panels = {
        "original": pixels,
        f"quantize -k {K}": quantize.compress_image(pixels, K, random_state=0).to_array(),
        f"quantize -k {K} --dither": quantize.compress_image(pixels, K, dither=True, random_state=0).to_array(),
        f"pngquant {K} --nofs": pngquant(pixels, False),
        f"pngquant {K}": pngquant(pixels, True),
    }
    left, top, right, bottom = CROP
    width, height = (right - left) * SCALE, (bottom - top) * SCALE
    canvas = Image.new("RGB", (len(panels) * (width + 6) - 6, height + 18), "white")
    draw = ImageDraw.Draw(canvas)
    for i, (title, image) in enumerate(panels.items()):
        crop = Image.fromarray(image[top:bottom, left:right]).resize((width, height), Image.Resampling.NEAREST)
        canvas.paste(crop, (i * (width + 6), 18))
        draw.text((i * (width + 6) + 2, 3), title, fill="black")
    canvas.save(ROOT / "docs" / "dither.png", optimize=True)


if __name__ == "__main__":
    main()
