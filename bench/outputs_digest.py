"""The SHA-256 of every file a fixed set of commands writes from the sample images.

For a change that must not change any output (a refactoring): run it before and
after and compare; `diff` of the two printouts is empty when every byte is the same.

    python bench/outputs_digest.py > before.txt
    ... change ...
    python bench/outputs_digest.py > after.txt && diff before.txt after.txt
"""
import hashlib
import os
import shlex
import sys
import tempfile
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from PIL import Image

from quantize.cli.main import cli

SAMPLES = Path(__file__).resolve().parent.parent / "sample_images"

# Every command's main options, once each, on real photos.
COMMANDS = [
    "compress {chelsea} -k 16 -o c16.png",
    "compress {chelsea} -k 64 --dither -o c64d.png",
    "compress {coffee} -k 256 -o k256.png",
    "compress {coffee} -k 256 --dither 0.5 -o k256d.png",
    "compress {rocket} -k 32 --space lab -o lab.png",
    "compress {rocket} -k 32 --space rgb --dither -o rgb.gif",
    "compress {astronaut} -k 24 -o a.webp",
    "compress {astronaut} -k 24 -o a.tiff",
    "compress {astronaut} -k 24 -o a.bmp",
    "compress {china} --quality 30 --max-colors 64 -o q.png",
    "compress {china} -k 8 --lock #ff00ff --lock #00ff00 -o lock.png",
    "compress {chelsea} --palette {palette} -o fixed.png",
    "compress {chelsea} {coffee} -k 16 --shared-palette --save-palette shared.gpl -o shared/",
    "compress {chelsea} -k 16 --compare compare.png -o cmp.png",
    "compress {chelsea} -k 16 --optimize -o opt.png",
    "compress {animation} -k 16 -o anim.gif",
    "compress {animation} -k 16 --per-frame-palette -o anim-local.png",
    "compress {rgba} -k 16 -o rgba.png",
    "palette {coffee} -k 8 -o p.json",
    "palette {coffee} -k 8 -o p.csv",
    "palette {coffee} -k 8 -o p.gpl",
    "palette {coffee} -k 8 -o p.png --plot cloud.png",
    "segment {astronaut} --box 130,20,300,480 --mask box-mask.png --cutout box-cut.png --overlay box-ov.png",
    "segment {chelsea} --mask nobox-mask.png --cutout nobox-cut.png --crop --min-confidence 0",
    "segment {coffee} --edges top,left,right --mask edges-mask.png --min-confidence 0",
    "segment {chelsea} --labels 6 --mask labels.png --overlay labels-ov.png",
    "segment {rgba} --box 20,20,200,150 --mask rgba-mask.png",
]


def inputs(folder):
    """The sample photos, plus a palette file, an animation and an RGBA image made from them."""
    names = {p.stem: str(p) for p in SAMPLES.glob("*.[jp][pn]g")}
    (folder / "brand.gpl").write_text("GIMP Palette\nName: brand\n#\n200 40 40 red\n30 30 200 blue\n"
                                      "240 240 230 white\n20 20 20 black\n")
    photo = np.asarray(Image.open(names["chelsea"]).convert("RGB"))
    frames = [Image.fromarray(np.roll(photo, 40 * i, axis=1) // (i + 1)) for i in range(3)]
    frames[0].save(folder / "anim.gif", save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0)
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    rgba[:60, :, 3] = 0
    Image.fromarray(rgba).save(folder / "rgba.png")
    return names | {"palette": str(folder / "brand.gpl"), "animation": str(folder / "anim.gif"),
                    "rgba": str(folder / "rgba.png")}


def main():
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "in").mkdir()
        paths = inputs(folder / "in")
        made = {p for p in folder.rglob("*")}
        runner = CliRunner()
        os.chdir(folder)
        for command in COMMANDS:
            args = shlex.split(command.format(**paths))
            result = runner.invoke(cli, ["-q", *args], catch_exceptions=False)
            if result.exit_code != 0:
                sys.exit(f"exit {result.exit_code}: quantize {command}\n{result.output}")
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path not in made:
                print(hashlib.sha256(path.read_bytes()).hexdigest(), path.relative_to(folder))


if __name__ == "__main__":
    main()
