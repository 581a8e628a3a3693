"""The user's paths through every command, as a table: each case runs one command
line in a folder of real and odd inputs and states its exit code, a message
pattern, the files that must and must not exist afterwards, and which inputs it
may change (none, unless it asked for that). Every input not listed stays
byte-identical, and no output holds a Python traceback."""
import hashlib
import json
import os
import re
from dataclasses import dataclass

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageCms

from quantize.cli.main import cli

pytestmark = pytest.mark.slow  # a table of 110 command lines, 15 s

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.fixture
def workspace(tmp_path, photo, monkeypatch):
    """Inputs a user has: a JPEG and PNGs of a real photo (one with an ICC
    profile), RGBA ones (opaque, half transparent), a flat gray image, an
    animated GIF, a palette file, seed scribbles, a folder with a corrupt file,
    and a symlink to an input."""
    crop = photo[60:240, 80:320]  # 240x180: real colors, quick to run
    Image.fromarray(crop).save(tmp_path / "photo.jpg", quality=90)
    Image.fromarray(crop).save(tmp_path / "cat.png", icc_profile=SRGB)
    rgba = np.dstack([crop, np.full(crop.shape[:2], 255, np.uint8)])
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    half = rgba.copy()
    half[:, :120, 3] = 0
    half[:, :120, :3] = 0  # what an editor leaves under erased pixels
    Image.fromarray(half).save(tmp_path / "half.png")
    Image.fromarray(np.full((90, 120, 3), 128, np.uint8)).save(tmp_path / "gray.png")
    frames = [Image.fromarray(np.full((40, 40, 3), (40 * i, 90, 200), np.uint8)) for i in range(4)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    holes = []
    for i in range(3):  # an APNG whose frames have a hole each, in different places
        frame = rgba.copy()
        frame[:, 60 * i:60 * i + 50, 3] = 0
        holes.append(Image.fromarray(frame))
    holes[0].save(tmp_path / "tanim.png", save_all=True, append_images=holes[1:], duration=[100, 200, 300])
    (tmp_path / "brand.gpl").write_text("GIMP Palette\nName: brand\n#\n255 0 0 red\n0 0 255 blue\n")
    seeds = np.zeros((180, 240), np.uint8)
    seeds[80:100, 110:130] = 255
    Image.fromarray(seeds).save(tmp_path / "seeds.png")
    Image.fromarray(seeds[60:110, 100:150]).save(tmp_path / "small-seeds.png")
    (tmp_path / "in" / "sub").mkdir(parents=True)
    Image.fromarray(crop[:90, :120]).save(tmp_path / "in" / "a.png")
    rows, cols = np.mgrid[:90, :120]
    disc = np.where(((rows - 45) ** 2 + (cols - 60) ** 2 < 25 ** 2)[:, :, None], (220, 40, 40), crop[90:, 120:])
    Image.fromarray(disc.astype(np.uint8)).save(tmp_path / "in" / "sub" / "b.png")  # a red disc on fur
    (tmp_path / "in" / "sub" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(200)))
    os.symlink(tmp_path / "cat.png", tmp_path / "link.png")
    Image.fromarray(crop).save(tmp_path / "ro.png")
    os.chmod(tmp_path / "ro.png", 0o600)
    (tmp_path / "precious.png").write_bytes(b"precious")  # a user's file that happens to be named so
    (tmp_path / "sp.gpl").write_bytes(b"precious")
    (tmp_path / "empty.png").write_bytes(b"")  # zero bytes
    (tmp_path / "notes.png").write_text("not a picture\n")  # text named as an image
    monkeypatch.chdir(tmp_path)
    return tmp_path


def fingerprints(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}


def invoke(args):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def n_colors(path):
    with Image.open(path) as image:
        return len(image.convert("RGBA").getcolors(1 << 24))


def mode(path):
    with Image.open(path) as image:
        return image.mode


def has_icc(path):
    with Image.open(path) as image:
        return bool(image.info.get("icc_profile"))


def report(path):
    return json.loads(path.read_text())


def report_psnr(path):
    return report(path)[0]["psnr"]


def psnr(original, compressed):
    with Image.open(original) as a, Image.open(compressed) as b:
        diff = np.asarray(a.convert("RGB"), float) - np.asarray(b.convert("RGB"), float)
    return 10 * np.log10(255 ** 2 / (diff ** 2).mean())


def palette_of(path):
    with Image.open(path) as image:
        flat = image.getpalette()
    return [tuple(flat[i:i + 3]) for i in range(0, len(flat), 3)]


def frames_of(path):
    """The durations of an animation's frames."""
    with Image.open(path) as image:
        durations = []
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            durations.append(int(image.info.get("duration", 0)))
    return durations


def all_frames_keep_holes(original, compressed, k):
    """Every frame of ``compressed`` has the holes of ``original``'s and at most k colors."""
    with Image.open(original) as a, Image.open(compressed) as b:
        for index in range(a.n_frames):
            a.seek(index)
            b.seek(index)
            alpha_a = np.asarray(a.convert("RGBA"))[:, :, 3]
            rgba_b = np.asarray(b.convert("RGBA"))
            if not (alpha_a == 0).any() or ((alpha_a == 0) != (rgba_b[:, :, 3] == 0)).any():
                return False
            if len(np.unique(rgba_b.reshape(-1, 4), axis=0)) > k:
                return False
    return True


def delta_e(original, compressed):
    """Mean CIEDE2000 of ``compressed`` against ``original`` over every pixel."""
    from quantize.compress.choose import mean_delta_e
    with Image.open(original) as a, Image.open(compressed) as b:
        a, b = np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB"))
    return mean_delta_e(a, b, np.arange(a.shape[0] * a.shape[1]))


def same_image(a, b):
    """Two files hold the same frames, durations, palette order and mode."""
    with Image.open(a) as x, Image.open(b) as y:
        if getattr(x, "n_frames", 1) != getattr(y, "n_frames", 1):
            return False
        for index in range(getattr(x, "n_frames", 1)):
            x.seek(index)
            y.seek(index)
            if (x.mode, x.getpalette(), x.info.get("duration")) != (y.mode, y.getpalette(), y.info.get("duration")):
                return False
            if not np.array_equal(np.asarray(x.convert("RGBA")), np.asarray(y.convert("RGBA"))):
                return False
    return True


def alpha_of(path):
    with Image.open(path) as image:
        return np.asarray(image.convert("RGBA"))[:, :, 3]


def mask_of(path):
    with Image.open(path) as image:
        return np.asarray(image) > 0


@dataclass
class Case:
    """``before`` command lines run first (their outputs are not inputs);
    ``changes`` lists the inputs the case may change; ``check(folder)`` looks at
    the outputs."""
    name: str
    args: str
    exit_code: int
    message: str = ""
    exist: tuple = ()
    absent: tuple = ()
    before: tuple = ()
    changes: tuple = ()
    check: object = None
    no_message: str = ""


CASES = [
    # compress: outputs never replace inputs, however the path is spelled
    Case("compress -o the input", "compress photo.jpg -k 8 -o photo.jpg --overwrite", 2,
         r"photo.jpg: is an input; an output never replaces an input: choose another output\n",
         no_message="--in-place"),  # a JPEG cannot be replaced in place either
    Case("compress -o a PNG input", "compress cat.png -k 8 -o cat.png", 2, r"choose another output or pass --in-place"),
    Case("compress -o ./input", "compress cat.png -k 8 -o ./cat.png", 2, r"cat.png: is an input"),
    Case("compress -o a symlink to the input", "compress cat.png -k 8 -o link.png --overwrite", 2,
         r"link.png: is the input cat.png"),
    Case("compress -o input by its absolute path", "compress cat.png -k 8 -o {abs}/cat.png", 2,
         r"is the input cat.png"),
    Case("compress --compare onto the input", "compress cat.png -k 8 -o out.png --compare cat.png", 2,
         r"cat.png: is an input", absent=("out.png",), no_message="--in-place"),
    Case("compress --report onto the palette file", "compress cat.png --palette brand.gpl -o p.png "
         "--report brand.gpl", 2, r"brand.gpl: is an input", absent=("p.png",)),
    Case("compress --save-palette and --report on one path", "compress cat.png photo.jpg -k 4 --shared-palette "
         "--save-palette s.json --report s.json -o out/", 2, r"s.json: named for two outputs; choose distinct outputs",
         absent=("out", "s.json")),
    Case("compress --palette a photo JPEG", "compress cat.png --palette photo.jpg -o p.png", 2,
         r"photo.jpg: an image of more than 256 colors is not a palette", absent=("p.png",)),
    Case("compress --save-palette onto an input", "compress cat.png photo.jpg -k 4 --shared-palette "
         "--save-palette cat.png -o out/", 2, r"cat.png: is an input", absent=("out",)),
    Case("compress a folder onto itself", "compress in -r -k 4 -o in", 2, r"in: is the input folder; the next run over it would take the outputs for inputs",
         absent=("in/a-quantized.png",)),
    Case("compress --in-place replaces only when asked", "compress cat.png -k 4 --in-place", 0,
         changes=("cat.png",), check=lambda d: mode(d / "cat.png") == "P" and n_colors(d / "cat.png") <= 4),
    # compress --optimize: the same image in fewer bytes, for PNG only
    Case("compress --optimize", "compress cat.png tanim.png -k 16 --optimize -o opt/", 0, r"2 files: 2 done",
         before=("compress cat.png tanim.png -k 16 -o plain/",), check=lambda d: all(
             same_image(d / "plain" / n, d / "opt" / n) and (d / "opt" / n).stat().st_size
             < (d / "plain" / n).stat().st_size for n in ("cat.png", "tanim.png")) and has_icc(d / "opt/cat.png")),
    Case("compress --optimize into a GIF", "compress cat.png -k 8 --optimize -o o.gif", 2,
         r"--optimize recompresses PNG files; the output is gif\n", absent=("o.gif",)),
    Case("compress --optimize in place on a GIF", "compress cat.png anim.gif -k 4 --in-place --optimize", 2,
         r"anim.gif is written in place as gif"),
    # compress: file or folder, and the one skip rule
    Case("compress two inputs to one file", "compress photo.jpg cat.png -k 8 -o one.png", 2,
         r"one.png: names one file, but the inputs are 2 files", absent=("one.png",)),
    Case("compress into a folder inside the input folder", "compress in -r -k 4 -o in/sub/out/", 2,
         r"in/sub/out: is inside the input folder in", absent=("in/sub/out",)),
    Case("compress a folder to one file", "compress in -r -k 8 -o single.png", 2,  # not counted: some may be left out
         r"single.png: names one file, but the inputs are a folder or a pattern; give a folder", absent=("single.png",)),
    Case("compress two inputs to a folder", "compress photo.jpg cat.png -k 8 -o out/", 0, r"2 files: 2 done",
         exist=("out/photo.png", "out/cat.png")),
    Case("compress rerun skips and names the file", "compress cat.png -k 4 -o out.png -v", 0,
         r"skipped cat.png \(out.png exists; --overwrite to redo\).*1 file: 0 done, 1 skipped",
         before=("compress cat.png -k 8 -o out.png",), check=lambda d: n_colors(d / "out.png") > 4),
    Case("compress rerun with --overwrite redoes", "compress cat.png -k 4 -o out.png --overwrite", 0,
         r"1 file: 1 done", before=("compress cat.png -k 8 -o out.png",), changes=("out.png",),
         check=lambda d: n_colors(d / "out.png") <= 4),
    Case("compress a folder twice: the rerun skips every file", "compress in -r -k 4 -o out/ --jobs 1 -v", 1,
         r"skipped in/a.png.*3 files: 0 done, 2 skipped .*1 failed",
         before=("compress in -r -k 4 -o out/ --jobs 1",)),
    Case("compress a folder beside its files, again: our outputs are not inputs", "compress in -r -k 4 -v", 1,
         r"skipped in/a.png \(in/a-quantized.png exists.*3 files: 0 done, 2 skipped",
         before=("compress in -r -k 4",), absent=("in/a-quantized-quantized.png",)),
    Case("compress an output named as an input", "compress cat.png cat-quantized.png -k 4", 2,
         r"cat-quantized.png: is an input", before=("compress cat.png -k 8",)),
    Case("segment a folder beside its files, again", "segment in -r --box 10,10,100,70", 1,
         r"3 files: 0 done, 2 skipped", before=("segment in -r --box 10,10,100,70",),
         absent=("in/a-mask-mask.png", "in/a-cutout-mask.png")),
    Case("segment a folder after a run on one of its photos: the earlier outputs are no inputs",
         "segment in -r --box 10,10,100,70 --cutout out/", 1,
         r"warning: left out 2 files an earlier run wrote beside their inputs: in/a-cutout.png, in/a-mask.png; "
         r"name them to process them\n.*3 files: 2 done, 0 skipped, 1 failed",
         before=("segment in/a.png --box 10,10,100,70",), exist=("out/a-cutout.png", "out/sub/b-cutout.png"),
         absent=("out/a-mask-cutout.png", "out/a-cutout-cutout.png")),
    Case("compress a folder after a run beside it, into a folder", "compress in -r -k 4 -o out/", 1,
         r"warning: left out 2 files an earlier run wrote beside their inputs: in/a-quantized.png, "
         r"in/sub/b-quantized.png;.*3 files: 2 done", before=("compress in -r -k 4",),
         exist=("out/a.png", "out/sub/b.png"), absent=("out/a-quantized.png",)),
    Case("compress a folder after a run beside it in another format", "compress in -r -k 4 -o out/", 1,
         r"warning: left out 2 files an earlier run wrote beside their inputs: in/a-quantized.gif, "
         r"in/sub/b-quantized.gif;.*3 files: 2 done", before=("compress in -r -k 4 --format gif",),
         exist=("out/a.png", "out/sub/b.png"), absent=("out/a-quantized.png",)),
    Case("compress a folder after segment wrote beside a photo: its mask and cutout are no inputs",
         "compress in -r -k 4 -o out/", 1,
         r"warning: left out 2 files an earlier run wrote beside their inputs: in/a-cutout.png, in/a-mask.png;"
         r".*3 files: 2 done", before=("segment in/a.png --box 10,10,100,70",),
         exist=("out/a.png", "out/sub/b.png"), absent=("out/a-mask.png", "out/a-cutout.png")),
    Case("segment a folder after compress wrote beside it: the quantized copies are no inputs",
         "segment in -r --box 10,10,100,70 --cutout out/", 1,
         r"warning: left out 2 files an earlier run wrote beside their inputs: in/a-quantized.png, "
         r"in/sub/b-quantized.png;.*3 files: 2 done", before=("compress in -r -k 4",),
         exist=("out/a-cutout.png", "out/sub/b-cutout.png"), absent=("out/a-quantized-cutout.png",)),
    Case("an earlier output named is an input", "segment in/a-mask.png --box 10,10,100,70 --cutout c.png", 0,
         r"1 file: 1 done", before=("segment in/a.png --box 10,10,100,70",), exist=("c.png",),
         no_message="left out"),
    Case("an earlier output named after its folder is an input",
         "segment in in/a-mask.png --box 10,10,100,70 --cutout out/", 0,
         r"warning: left out 1 file an earlier run wrote beside its input: in/a-cutout.png; name it to process it"
         r"\n2 files: 2 done", before=("segment in/a.png --box 10,10,100,70",),
         exist=("out/a-cutout.png", "out/a-mask-cutout.png"), absent=("out/a-cutout-cutout.png",)),
    Case("-vv is quantize's debugging, not Pillow's chunk log", "compress cat.png -k 4 -o out.png -vv", 0,
         r"cat.png: done", no_message="STREAM"),
    Case("compress --format and -o disagree", "compress cat.png -k 4 -o out.png --format gif", 2,
         r"the extension says png, --format says gif", absent=("out.png",)),
    # compress: outputs are what was asked
    Case("compress RGBA", "compress rgba.png -k 8 -o out.png", 0, exist=("out.png",),
         check=lambda d: n_colors(d / "out.png") <= 8),
    Case("compress to JPEG is refused", "compress photo.jpg -k 16 -o small.jpg", 2,
         r"JPEG cannot keep N colors", absent=("small.jpg",)),
    Case("compress JPEG in place is refused", "compress photo.jpg -k 16 --in-place", 2,
         r"photo.jpg: JPEG cannot keep N colors"),
    Case("compress to WebP is lossless", "compress photo.jpg -k 16 -o out.webp", 0,
         check=lambda d: n_colors(d / "out.webp") <= 16 and has_icc(d / "out.webp") is False),
    Case("compress to WebP keeps the ICC profile", "compress cat.png -k 16 -o out.webp", 0,
         check=lambda d: n_colors(d / "out.webp") <= 16 and has_icc(d / "out.webp")),
    Case("compress to TIFF is indexed with the profile", "compress cat.png -k 16 -o out.tif", 0,
         check=lambda d: mode(d / "out.tif") == "P" and has_icc(d / "out.tif")),
    Case("compress to BMP is indexed", "compress cat.png -k 16 --format bmp -o out/", 0,
         check=lambda d: mode(d / "out/cat.bmp") == "P"),
    Case("compress transparency into BMP fails that file alone", "compress half.png rgba.png -k 16 --ext bmp "
         "-o out/ --jobs 1", 1, r"half.png: BMP cannot hold transparency.*2 files: 1 done",
         exist=("out/rgba.bmp",), absent=("out/half.bmp",)),
    Case("compress semi-transparency into GIF warns", "compress soft.png -k 8 -o out.gif", 0,
         r"warning: soft.png: GIF keeps only full transparency"),
    Case("compress an animation to APNG keeps every frame", "compress anim.gif -k 4 -o out.png", 0,
         check=lambda d: frames_of(d / "out.png") == [100] * 4),
    Case("compress an animation to BMP says it takes the first frame", "compress anim.gif -k 4 -o out.bmp", 0,
         r"warning: anim.gif: animated \(4 frames\); only the first frame is used", exist=("out.bmp",)),
    Case("compress PSNR counts visible pixels", "compress half.png -k 16 -o out.png --report r.json", 0,
         check=lambda d: report_psnr(d / "r.json") > 25),
    Case("compress --quality on a half-transparent image", "compress half.png --quality 25 -o q.png", 0,
         check=lambda d: n_colors(d / "q.png") < 64),
    Case("compress a flat image warns in one line", "compress gray.png -k 16 -o out.png", 0,
         r"warning: gray.png: only 1 distinct visible color, fewer than the 16 asked; keeping it\n",
         no_message=r"Warning:|\.py:\d+"),
    Case("compress with more locked colors than -k", "compress cat.png -k 2 --lock #ff0000 --lock #00ff00 "
         "--lock #0000ff -o out.png", 2, r"3 locked colors do not fit in 2", absent=("out.png",)),
    Case("compress --palette reads a swatch back", "compress photo.jpg --palette swatch.png -o out.png", 0,
         before=("palette cat.png -k 4 -o swatch.png",), check=lambda d: n_colors(d / "out.png") <= 4),
    Case("compress --palette reads an indexed PNG back", "compress photo.jpg --palette small.png -o out.png", 0,
         before=("compress cat.png -k 6 -o small.png",), check=lambda d: n_colors(d / "out.png") <= 6),
    Case("compress a bad file fails alone", "compress in -r -k 4 -o out/ --jobs 1", 1,
         r"Error: in/sub/corrupt.png: .*3 files: 2 done, 0 skipped, 1 failed",
         exist=("out/a.png", "out/sub/b.png"), absent=("out/sub/corrupt.png",)),
    Case("compress above --max-pixels", "compress cat.png -k 4 -o out.png --max-pixels 1000", 1,
         r"cat.png: 240x180 = 43200 pixels, above the limit of 1000", absent=("out.png",)),
    Case("compress an animation above --max-pixels", "compress anim.gif -k 4 -o out.gif --max-pixels 1000", 1,
         r"anim.gif: 40x40 = 1600 pixels, above the limit of 1000", absent=("out.gif",)),
    Case("compress an animation whose frames together pass --max-pixels", "compress anim.gif -k 4 -o out.gif "
         "--max-pixels 5000", 1, r"anim.gif: 4 frames of 40x40, above the limit of 5000", absent=("out.gif",)),
    Case("compress a missing file", "compress nothere.png -k 4 -o out.png", 2, r"nothere.png: no such file"),
    Case("compress a shared palette with no readable image", "compress in/sub/corrupt.png -k 4 "
         "--shared-palette -o out/", 1, r"no readable image to learn a shared palette from "
         r"\(in/sub/corrupt.png: "),
    # compress: found in a fresh-eyes trial
    Case("compress keeps an existing output when only a side output is missing",
         "compress cat.png -k 4 -o precious.png --compare cmp.png", 0,
         r"1 skipped", absent=("cmp.png",), check=lambda d: (d / "precious.png").read_bytes() == b"precious"),
    Case("compress with a shared palette keeps transparency", "compress half.png cat.png -k 8 --shared-palette "
         "-o sp/ --jobs 1", 0, check=lambda d: alpha_of(d / "sp/half.png")[:, :120].max() == 0
         and alpha_of(d / "sp/half.png")[:, 120:].min() == 255),
    Case("compress --palette from a CSV palette keeps its colors", "compress photo.jpg --palette pal.csv -o out.png",
         0, before=("palette cat.png -k 5 -o pal.csv",), check=lambda d: n_colors(d / "out.png") <= 5),
    Case("compress: an opaque RGBA image's PSNR is over its colors, not alpha", "compress rgba.png -k 4 -o o.png "
         "--report r.json", 0, check=lambda d: abs(report_psnr(d / "r.json") - psnr(d / "rgba.png", d / "o.png")) < 1e-6),
    Case("compress --quality out of reach warns", "compress cat.png --quality 60 --max-colors 8 -o q.png", 0,
         r"warning: cat.png: 8 colors reach [\d.]+ dB, short of the 60 dB asked"),
    Case("compress --quality nan", "compress cat.png --quality nan -o q.png", 2, r"nan is not a number of dB",
         absent=("q.png",)),
    Case("compress -k 1 with transparency", "compress half.png -k 1 -o h1.png", 1,
         r"half.png: n_colors=1 leaves no color for the visible pixels after one transparent entry",
         absent=("h1.png",)),
    Case("compress -o a new folder with a dot", "compress cat.png -k 4 -o new.d/", 0, exist=("new.d/cat.png",)),
    Case("compress -o -", "compress cat.png -k 4 -o -", 2, r"writing to stdout is not supported", absent=("-",)),
    Case("compress --compare as a JPEG", "compress cat.png -k 4 -o out.png --compare cmp.jpg", 2,
         r"cmp.jpg: --compare is written as PNG", absent=("out.png",)),
    Case("compress --scheduler that is no address", "compress cat.png -k 4 -o out.png --scheduler bogus", 2,
         r"'bogus' is not a scheduler address", absent=("out.png",)),
    Case("compress --save-palette kept when it holds another palette", "compress cat.png photo.jpg -k 4 "
         "--shared-palette --save-palette sp.gpl -o sp/", 0, r"warning: sp.gpl exists and holds another palette",
         check=lambda d: (d / "sp.gpl").read_bytes() == b"precious"),
    Case("compress --save-palette when the outputs exist from another run", "compress cat.png photo.jpg -k 4 "
         "--shared-palette --save-palette new.gpl -o sp2/", 0,
         r"warning: new.gpl holds this run's palette; 2 outputs that existed were kept as an earlier run made them",
         before=("compress cat.png photo.jpg -k 8 -o sp2/",), exist=("new.gpl",),
         check=lambda d: n_colors(d / "sp2" / "cat.png") > 4),
    Case("compress --save-palette with an unknown extension", "compress cat.png -k 4 --shared-palette "
         "--save-palette sp.txt -o sp/", 2, r"sp.txt: a palette is saved as json, csv, gpl, png", absent=("sp",)),
    Case("compress the same file twice", "compress cat.png ./cat.png -k 4 -o twice/", 0, r"1 file: 1 done",
         exist=("twice/cat.png",)),
    Case("compress a ** pattern mirrors its folders", "compress in/**/*.png -k 4 -o glob/", 1,
         r"3 files: 2 done", exist=("glob/a.png", "glob/sub/b.png")),
    Case("compress --suffix with a folder in it", "compress cat.png -k 4 --suffix /../zz", 2,
         r"holds a folder separator", absent=("zz.png", "cat")),
    Case("compress --lock with --palette", "compress cat.png --palette brand.gpl --lock #00ff00 -o out.png", 2,
         r"--lock keeps colors in a learned palette"),
    Case("compress --in-place with --format", "compress cat.png -k 4 --in-place --format gif", 2,
         r"--in-place writes each input in its own format"),
    Case("compress --max-colors without --quality", "compress cat.png -k 4 --max-colors 8 -o out.png", 2,
         r"--max-colors bounds --quality"),
    Case("compress a color locked twice takes one entry", "compress cat.png -k 2 --lock #ff0000 --lock #ff0000 "
         "-o out.png", 0, check=lambda d: len(set(palette_of(d / "out.png"))) == 2),
    Case("compress --in-place keeps permissions", "compress ro.png -k 4 --in-place", 0, changes=("ro.png",),
         check=lambda d: (d / "ro.png").stat().st_mode & 0o777 == 0o600),
    Case("compress --in-place through a symlink replaces its target", "compress link.png -k 4 --in-place", 0,
         changes=("cat.png",), check=lambda d: (d / "link.png").is_symlink() and mode(d / "cat.png") == "P"),
    Case("compress --in-place on an animation keeps its frames", "compress anim.gif -k 4 --in-place", 0,
         changes=("anim.gif",), check=lambda d: frames_of(d / "anim.gif") == [100] * 4),
    Case("compress a shared palette over still and animated images with holes", "compress tanim.png half.png "
         "-k 8 --shared-palette -o sp/ --jobs 1", 0, check=lambda d: frames_of(d / "sp/tanim.png") == [100, 200, 300]
         and all_frames_keep_holes(d / "tanim.png", d / "sp/tanim.png", 8)),
    Case("compress --compare with an animation shows its first frame", "compress anim.gif -k 4 -o a.gif "
         "--compare cmp.png", 0, r"warning: anim.gif: animated: --compare shows the first frame",
         exist=("cmp.png",), check=lambda d: frames_of(d / "a.gif") == [100] * 4),
    Case("compress --dither before an input", "compress --dither cat.png -k 4", 2,
         r"'cat.png' is not a strength from 0 to 1 \(an input\? write --dither=0.8"),
    # palette
    # choosing the number of colors
    Case("compress --choose elbow", "compress cat.png --choose elbow --range 2:16 -o auto.png", 0, r"1 done",
         check=lambda d: 2 <= n_colors(d / "auto.png") <= 16),
    Case("compress --delta-e", "compress cat.png --delta-e 4 --max-colors 64 -o close.png", 0, r"1 done",
         check=lambda d: delta_e(d / "cat.png", d / "close.png") <= 4 and n_colors(d / "close.png") <= 64),
    Case("compress --delta-e with --dither", "compress cat.png --delta-e 4 --dither --max-colors 64 -o dd.png", 0,
         r"1 done", check=lambda d: delta_e(d / "cat.png", d / "dd.png") <= 4),
    Case("compress -k with --choose", "compress cat.png -k 8 --choose elbow -o x.png", 2,
         r"exactly one of -k/--colors, --quality, --delta-e, --choose or --palette", absent=("x.png",)),
    Case("compress --range without --choose", "compress cat.png -k 8 --range 2:9 -o x.png", 2,
         r"--range goes with --choose", absent=("x.png",)),
    Case("palette --choose", "palette cat.png --choose silhouette --range 2:12 -o p.json --choice-plot k.png", 0,
         r"<- pick", exist=("p.json", "k.png")),
    Case("palette --choice-plot without --choose", "palette cat.png -k 4 --choice-plot k.png", 2,
         r"--range and --choice-plot go with --choose", absent=("k.png",)),
    Case("palette -o the input", "palette photo.jpg -k 8 -o photo.jpg --format json --overwrite", 2,
         r"photo.jpg: is an input; an output never replaces an input", no_message="--in-place"),
    Case("palette --plot onto the input", "palette photo.jpg -k 8 --plot photo.jpg", 2, r"photo.jpg: is an input"),
    Case("palette -o a PNG input", "palette cat.png -k 4 -o cat.png", 2, r"cat.png: is an input"),
    Case("palette skips an existing output", "palette cat.png -k 4 -o pal.json", 0,
         r"skipped cat.png \(pal.json exists; --overwrite to redo\)", before=("palette cat.png -k 8 -o pal.json",)),
    Case("palette into a new folder makes it, as compress does", "palette cat.png -k 4 -o new/pal.json", 0,
         exist=("new/pal.json",)),
    Case("palette under a file", "palette cat.png -k 4 -o photo.jpg/pal.json", 1,
         r"photo.jpg/pal.json: cannot make its folder, a file is in the way"),
    Case("compress --report into a new folder", "compress cat.png -k 4 -o out.png --report logs/r.csv", 0,
         exist=("logs/r.csv", "out.png")),
    Case("compress under a file", "compress cat.png -k 4 -o photo.jpg/x.png", 1,
         r"photo.jpg/x.png: cannot make its folder, a file is in the way"),
    Case("palette of a folder", "palette in -k 4", 2, r"in: is a folder; palette reads one image"),
    Case("palette of a flat image warns", "palette gray.png -k 4", 0, r"warning: gray.png: only 1 distinct"),
    Case("palette format from an unknown extension", "palette cat.png -k 4 -o colors.txt", 2,
         r"cannot tell the format from colors.txt"),
    Case("palette to stdout when the plot exists", "palette cat.png -k 3 --plot pp.png --format csv", 0,
         r"cat.png: kept the existing pp.png \(--overwrite to redo\); printing the palette alone.*hex,r,g,b", before=("palette cat.png -k 3 --plot pp.png",)),
    Case("palette -o and --format disagree", "palette cat.png -k 3 -o p.gpl --format png", 2,
         r"the extension says gpl, --format says png", absent=("p.gpl",)),
    # segment
    Case("segment RGBA with a box", "segment rgba.png --box 40,30,160,120 --mask m.png", 0, exist=("m.png",)),
    Case("segment a flat image finds no subject", "segment gray.png --mask m.png --cutout c.png", 1,
         r"gray.png: no foreground found: give --box or seeds", absent=("m.png", "c.png")),
    Case("segment an unknown edge", "segment cat.png --edges top,middle", 2, r"'middle' is not an edge",
         absent=("cat-mask.png",)),
    Case("segment a zero-size box", "segment cat.png --box 0,0,0,9", 2, r"width and height must be at least 1, got 0 and 9"),
    Case("segment a box outside the image", "segment cat.png --box 500,500,20,20 --mask m.png", 2,
         r"cat.png: box 500,500,20,20 lies outside the 240x180 image", absent=("m.png",)),
    Case("segment --mask onto the input", "segment cat.png --box 40,30,160,120 --mask cat.png", 2,
         r"cat.png: is an input", no_message="--in-place"),
    Case("segment --overlay onto the seeds", "segment cat.png --fg-seeds seeds.png --overlay seeds.png", 2,
         r"seeds.png: is an input"),
    Case("segment two outputs on one path", "segment cat.png --box 40,30,160,120 --mask o.png --cutout o.png",
         2, r"o.png: named for two outputs of cat.png", absent=("o.png",)),
    Case("segment seeds of another size", "segment cat.png --fg-seeds small-seeds.png --mask m.png", 2,
         r"--fg-seeds: small-seeds.png is 50x50, but cat.png is 240x180", absent=("m.png",)),
    Case("segment two inputs to one file", "segment cat.png photo.jpg --mask m.png", 2, r"names one file"),
    Case("segment rerun skips", "segment cat.png --box 40,30,160,120 --mask m.png -v", 0,
         r"skipped cat.png \(m.png exists", before=("segment cat.png --box 40,30,160,120 --mask m.png",)),
    Case("segment a folder with a bad file", "segment in -r --box 10,10,100,70 --cutout cut/ --jobs 1", 1,
         r"in/sub/corrupt.png: .*3 files: 2 done", exist=("cut/a-cutout.png", "cut/sub/b-cutout.png")),
    Case("segment beside the input", "segment cat.png --box 40,30,160,120", 0,
         exist=("cat-mask.png", "cat-cutout.png")),
    Case("segment keeps the color profile", "segment cat.png --box 40,30,160,120 --cutout c.png --overlay o.png", 0,
         check=lambda d: has_icc(d / "c.png") and has_icc(d / "o.png") and mode(d / "c.png") == "RGBA"),
    Case("segment --labels beside the input", "segment cat.png --labels 4", 0,
         exist=("cat-labels.png",), absent=("cat-cutout.png",)),
    Case("segment keeps an existing mask when the cutout is missing", "segment cat.png --box 40,30,160,120 "
         "--mask precious.png --cutout c.png", 0, r"1 skipped", absent=("c.png",)),
    Case("segment --cutout as a JPEG", "segment cat.png --box 40,30,160,120 --cutout cut.jpg", 2,
         r"cut.jpg: --cutout is written as PNG", absent=("cut.jpg",)),
    Case("segment --labels above 255", "segment cat.png --labels 300 --mask l.png", 0,
         check=lambda d: mode(d / "l.png") == "I;16"),
    Case("segment seeds that are no image", "segment cat.png --fg-seeds brand.gpl --mask m.png", 2,
         r"Invalid value for '--fg-seeds': brand.gpl: ", absent=("m.png",)),
    Case("segment seeds that overlap", "segment cat.png --fg-seeds seeds.png --bg-seeds seeds.png --mask m.png", 2,
         r"--fg-seeds and --bg-seeds overlap", absent=("m.png",)),
    Case("segment with no edge and no box", ["segment", "cat.png", "--edges", "", "--mask", "m.png"], 2,
         r"no edge leaves nothing as background", absent=("m.png",)),
    Case("segment --edges with --box", "segment cat.png --box 40,30,160,120 --edges top --mask m.png", 2,
         r"--edges sets the background when there is no box; with --box, the background is what lies outside"),
    Case("segment --labels with --crop", "segment cat.png --labels 4 --crop --mask m.png", 2,
         r"--labels makes a label map, which takes no --crop: use it with --mask and --overlay only"),
    Case("segment --labels with --box", "segment cat.png --labels 4 --box 0,0,100,100 --mask m.png", 2,
         r"--labels makes a label map, which takes no --box:", absent=("m.png",)),
    Case("compress --palette an empty file", "compress cat.png --palette empty.png -o p.png", 2,
         r"Invalid value for '--palette': empty.png: an empty file \(0 bytes\), not a palette", absent=("p.png",)),
    Case("compress --palette a text file named .png", "compress cat.png --palette notes.png -o p.png", 2,
         r"Invalid value for '--palette': notes.png: not an image file Pillow can read", absent=("p.png",)),
    Case("segment treats transparent pixels as background", "segment half.png --box 20,20,200,140 --mask m.png", 0,
         check=lambda d: not mask_of(d / "m.png")[:, :120].any()),
    Case("segment --report with an unknown extension", "segment cat.png --box 40,30,160,120 --report r.txt", 2,
         r"r.txt: a report is written as .json or .csv", absent=("cat-mask.png",)),
]


def _soft_edge_image(folder):
    """An RGBA photo whose left part fades out: semi-transparent pixels."""
    with Image.open(folder / "rgba.png") as image:
        rgba = np.array(image)
    rgba[:, :60, 3] = 128
    Image.fromarray(rgba).save(folder / "soft.png")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_user_path(workspace, case):
    _soft_edge_image(workspace)
    for before in case.before:
        assert invoke(before.split()).exit_code in (0, 1), before
    inputs = fingerprints(workspace)
    args = case.args.format(abs=workspace).split() if isinstance(case.args, str) else case.args
    result = invoke(args)
    output = result.output
    assert result.exit_code == case.exit_code, output
    assert re.search(case.message, output, re.DOTALL), output
    if case.no_message:
        assert not re.search(case.no_message, output), output
    assert "Traceback" not in output
    for name in case.exist:
        assert (workspace / name).exists(), name
    for name in case.absent:
        assert not (workspace / name).exists(), name
    after = fingerprints(workspace)
    for name, digest in inputs.items():
        if name not in case.changes:
            assert after.get(name) == digest, f"{name} changed"
    assert not [p for p in workspace.rglob("*.tmp")], "a temporary file was left"
    if case.check is not None:
        assert case.check(workspace)


def test_the_table_covers_every_command_and_enough_cases():
    commands = {(case.args.split() if isinstance(case.args, str) else case.args)[0] for case in CASES}
    assert commands == {"compress", "palette", "segment"} and len(CASES) >= 40
