"""Benchmark: segment on a phone-size photo, against compress on the same file.

Whole commands, each in its own process: wall time and peak memory (the maximum
resident set, from the OS) of `quantize segment PHOTO --box ... --mask --cutout` and
of `quantize compress PHOTO -k 256`, on an 18 MP photo: by default
sample_images/astronaut.png scaled to 4240 x 4240 (Lanczos), with the box around
the astronaut scaled alike. Prints the median of --repeat runs and the ratios, and
bytes per pixel of the peak.

    python bench/segment_large.py [--photo PATH --box X,Y,W,H]
"""
import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SIDE = 4240  # 18.0 MP
ASTRONAUT_BOX = (15, 10, 497, 502)  # on the 512 x 512 sample: the whole astronaut (a tighter box cut only her head)


def run(args):
    """Wall seconds and peak resident bytes of one command in a child process."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # From the temporary folder: in a source checkout, -m would import the uncompiled tree.
    completed = subprocess.run([sys.executable, "-m", "quantize.cli.main", *args], capture_output=True, text=True,
                               cwd=tempfile.gettempdir())
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"quantize {' '.join(args)} failed:\n{completed.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return seconds, peak if peak > before * 1024 else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", type=Path, default=None)
    parser.add_argument("--box", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        if args.photo is None:
            photo = scratch / "astronaut-18mp.png"
            Image.open(ROOT / "sample_images" / "astronaut.png").resize((SIDE, SIDE), Image.LANCZOS).save(photo)
            scale = SIDE / 512
            box = ",".join(str(round(v * scale)) for v in ASTRONAUT_BOX)
        else:
            photo, box = args.photo, args.box
        with Image.open(photo) as image:
            n_pixels = image.width * image.height
        commands = {
            "segment --box": ["segment", str(photo), "--box", box, "--mask", str(scratch / "m.png"),
                              "--cutout", str(scratch / "c.png"), "--overwrite", "--max-pixels", "200000000"],
            "compress -k 256": ["compress", str(photo), "-k", "256", "-o", str(scratch / "q.png"), "--overwrite",
                                "--max-pixels", "200000000"],
        }
        results = {}
        for name, command in commands.items():
            times, peaks = [], []
            for _ in range(args.repeat):
                # a fresh child per run; ru_maxrss of children is the largest so far, so run the
                # lighter command last (compress) and read segment's peak from its own runs
                seconds, peak = run(command)
                times.append(seconds)
                peaks.append(peak)
            results[name] = (statistics.median(times), max(p for p in peaks if p) if any(peaks) else None)
    print(f"{photo.name}: {n_pixels / 1e6:.1f} MP, box {box}")
    for name, (seconds, peak) in results.items():
        memory = f"{peak / 1e6:7.0f} MB peak, {peak / n_pixels:5.1f} bytes per pixel" if peak else "peak below segment's"
        print(f"  quantize {name:16} {seconds:6.2f} s   {memory}")
    print(f"  segment / compress wall time: {results['segment --box'][0] / results['compress -k 256'][0]:.2f}")


if __name__ == "__main__":
    main()
