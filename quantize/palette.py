"""Palette files: JSON, CSV, GIMP .gpl and a swatch PNG out; the same, hex lists
and indexed images (a compressed PNG or GIF) in."""
import csv
import io
import json
import re
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, PngImagePlugin, UnidentifiedImageError

from .errors import InputError
from .io import write_atomically

FORMATS = ("json", "csv", "gpl", "png")
# The PNG text chunk of a swatch that lists its colors, so the swatch reads back.
SWATCH_KEY = "quantize:palette"
# A color in a hex list: not the digits of a number such as 0.304362.
_HEX = re.compile(r"(?<![\w.])#?([0-9a-fA-F]{6}|[0-9a-fA-F]{8})\b")


def to_hex(color):
    return "#" + "".join(f"{int(v):02x}" for v in color)


def parse_color(text):
    """'#rrggbb', 'rrggbb' or '#rrggbbaa' to a uint8 array of 3 or 4 values."""
    match = _HEX.fullmatch(text.strip())
    if not match:
        raise InputError(f"{text!r} is not a color; write it as #rrggbb")
    digits = match.group(1)
    return np.array([int(digits[i:i + 2], 16) for i in range(0, len(digits), 2)], dtype=np.uint8)


def read_palette(path):
    """Colors (n, 3) or (n, 4) uint8 from a JSON, GIMP .gpl, hex-list or image file.

    JSON may be a list of hex strings, ``{"palette": [...]}`` (a saved codebook)
    or ``{"colors": [{"hex": ...}, ...]}`` (what ``quantize palette`` writes). An
    image gives the colors of a swatch ``quantize palette`` wrote, the used
    entries of an indexed image, or the colors of an image with at most 256.
    """
    path = Path(path)
    if _is_image(path):
        return _image_colors(path)
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"{path}: an empty file (0 bytes), not a palette")
    if path.suffix.lower() in _IMAGE_SUFFIXES:  # named as an image, which it is not
        raise InputError(f"{path}: not an image file Pillow can read")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a palette: neither text (.gpl, .json, .csv, hex colors) nor an image "
                         "Pillow reads") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read palette ({error.strerror})") from None
    try:
        if path.suffix.lower() == ".json" or text.lstrip()[:1] in "[{":
            colors = _json_colors(json.loads(text))
        elif text.startswith("GIMP Palette"):
            colors = _gpl_colors(text)
        elif text.lower().startswith("hex,"):  # the CSV that palette_bytes writes
            colors = _csv_colors(text)
        else:
            colors = [parse_color(m.group(0)) for m in _HEX.finditer(text)]
    except (ValueError, KeyError, TypeError, InputError) as error:
        raise InputError(f"{path}: not a palette file ({error})") from None
    if not colors:
        raise InputError(f"{path}: no colors found")
    if len({len(c) for c in colors}) != 1:
        raise InputError(f"{path}: mixes colors with and without alpha")
    return np.array(colors, dtype=np.uint8)


_IMAGE_SUFFIXES = {".png", ".gif", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


def _is_image(path):
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as error:
        raise InputError(f"{path}: cannot read palette ({error.strerror})") from None
    return head.startswith((b"\x89PNG", b"GIF8", b"BM", b"RIFF", b"II*\x00", b"MM\x00*", b"\xff\xd8\xff"))


def _image_colors(path):
    try:
        with Image.open(path) as image:
            image.load()
            if SWATCH_KEY in image.info:
                return np.array([parse_color(c) for c in image.info[SWATCH_KEY].split()], dtype=np.uint8)
            if image.mode == "P":
                used = sorted(index for _, index in image.getcolors(256))
                rgba = np.array(image.getpalette("RGBA"), dtype=np.uint8).reshape(-1, 4)[used]
                return rgba if (rgba[:, 3] < 255).any() else rgba[:, :3]
            colors = image.convert("RGB").getcolors(256)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise InputError(f"{path}: cannot read palette image ({error})") from None
    if colors is None:
        raise InputError(f"{path}: an image of more than 256 colors is not a palette; "
                         "give a swatch, an indexed image or a palette file")
    return np.array([color for _, color in sorted(colors, reverse=True)], dtype=np.uint8)


def _json_colors(data):
    if isinstance(data, dict):
        data = data.get("palette", data.get("colors"))
    return [parse_color(item["hex"] if isinstance(item, dict) else item) for item in data]


def _csv_colors(text):
    """Colors of a CSV's hex column (#rrggbbaa where a color has alpha)."""
    return [parse_color(row["hex"]) for row in csv.DictReader(io.StringIO(text))]


def _gpl_colors(text):
    colors = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 3 and all(f.isdigit() for f in fields[:3]):
            colors.append(np.array([int(f) for f in fields[:3]], dtype=np.uint8))
    return colors


def palette_bytes(palette, proportions, fmt, name="quantize"):
    """The palette file content in ``fmt`` (one of FORMATS)."""
    proportions = np.asarray(proportions, dtype=float)
    if fmt == "json":
        rows = [{"hex": to_hex(c), "rgb": [int(v) for v in c[:3]], "proportion": round(float(p), 6)}
                | ({"alpha": int(c[3])} if len(c) == 4 else {})
                for c, p in zip(palette, proportions)]
        return json.dumps({"colors": rows}, indent=1).encode()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["hex", "r", "g", "b", "alpha", "proportion"])
        for c, p in zip(palette, proportions):
            writer.writerow([to_hex(c), *map(int, c[:3]), int(c[3]) if len(c) == 4 else 255, f"{p:.6f}"])
        return out.getvalue().encode()
    if fmt == "gpl":
        lines = ["GIMP Palette", f"Name: {name}", f"Columns: {min(len(palette), 16)}", "#"]
        lines += [f"{c[0]:3d} {c[1]:3d} {c[2]:3d}\t{to_hex(c)} {100 * p:.2f}%" for c, p in zip(palette, proportions)]
        return ("\n".join(lines) + "\n").encode()
    if fmt == "png":
        buffer = io.BytesIO()
        info = PngImagePlugin.PngInfo()
        info.add_text(SWATCH_KEY, " ".join(to_hex(c) for c in palette))
        swatch(palette, proportions).save(buffer, format="PNG", pnginfo=info)
        return buffer.getvalue()
    raise InputError(f"palette format must be one of {', '.join(FORMATS)}; got {fmt!r}")


def write_palette(palette, proportions, path, fmt=None, *, overwrite=False):
    """Write the palette to ``path``; the format defaults to the file's extension."""
    fmt = fmt or Path(path).suffix.lstrip(".").lower()
    content = palette_bytes(palette, proportions, fmt, name=Path(path).stem)
    write_atomically(path, lambda f: f.write(content), overwrite=overwrite)


def swatch(palette, proportions, width=640, height=120):
    """A bar of the palette colors, each as wide as its share of the pixels, over a
    row of equal squares so rare colors stay visible."""
    n = len(palette)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    x = 0.0
    shares = np.asarray(proportions, dtype=float)
    shares = shares / shares.sum() if shares.sum() > 0 else np.full(n, 1 / n)
    for color, share in zip(palette, shares):
        draw.rectangle([int(x), 0, int(x + share * width), height * 2 // 3 - 1], fill=tuple(map(int, color[:3])))
        x += share * width
    cell = width / n
    for i, color in enumerate(palette):
        draw.rectangle([int(i * cell), height * 2 // 3 + 2, int((i + 1) * cell) - 1, height - 1],
                       fill=tuple(map(int, color[:3])))
    return image
