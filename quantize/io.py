"""Images in and out: every mode Pillow reads becomes 8-bit RGB or RGBA pixels, and
files are written through a temporary file renamed into place."""
import contextlib
import os
import stat
import struct
import tempfile
import zlib
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from . import _lifetime
from .errors import FirstFrameWarning, InputError, OutputError, OutputExistsError, QuantizeError

# Pillow's own default, read once: the limit --max-pixels replaces.
DEFAULT_MAX_PIXELS = Image.MAX_IMAGE_PIXELS


@dataclass(frozen=True)
class LoadedImage:
    """Pixels ready for quantization.

    pixels : ndarray (M, N, 3) or (M, N, 4) uint8
        RGB, or RGBA when the source has transparency.
    icc_profile : bytes or None
        The source's RGB ICC profile, to carry to the output.
    name : str
        The file name (or a description) for messages.
    """
    pixels: np.ndarray
    icc_profile: bytes | None
    name: str

    @property
    def has_alpha(self):
        return self.pixels.shape[2] == 4


def load_image(image, *, max_pixels=None):
    """Load a file path, a PIL image or an array as 8-bit RGB(A) pixels.

    EXIF orientation is applied. Images above Pillow's decompression-bomb limit
    (``DEFAULT_MAX_PIXELS``) are refused unless ``max_pixels`` raises (or lowers)
    it. Arrays may be (M, N) gray, (M, N, 3) RGB or (M, N, 4) RGBA, as uint8,
    uint16 or floats in [0, 1]. Corrupt, truncated and non-image files raise
    :class:`InputError` naming the file. An animated image is read as its first
    frame, with a :class:`FirstFrameWarning`.
    """
    if isinstance(image, np.ndarray):
        return LoadedImage(_array_pixels(image), None, "<array>")
    if isinstance(image, Image.Image):
        return _from_pil(image, getattr(image, "filename", "") or "<image>")
    with open_image(image, max_pixels=max_pixels) as im:
        im.load()
        return _from_pil(im, str(image))


@contextlib.contextmanager
def open_image(path, *, max_pixels=None):
    """The file opened by Pillow under the decompression-bomb limit, for reading
    (one frame or all of them) inside the block; every way a file can fail to be
    an image raises :class:`InputError` naming it."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not an image file")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    limit = DEFAULT_MAX_PIXELS if max_pixels is None else int(max_pixels)
    try:
        with _bomb_limit(limit), warnings.catch_warnings():
            # Pillow warns above the limit and refuses only above twice it; refuse at it.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                yield im
    except QuantizeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{path}: {_pixel_count(path)} pixels, above the limit of {limit} that guards "
                         "against decompression bombs; raise it (--max-pixels) if you trust the file") from None
    except UnidentifiedImageError:
        empty = isinstance(path, (str, os.PathLike)) and os.path.getsize(path) == 0
        raise InputError(f"{path}: {'an empty file (0 bytes)' if empty else 'not an image file Pillow can read'}") \
            from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise InputError(f"{path}: cannot decode image ({error})") from None


class _bomb_limit:
    """Temporarily set Pillow's pixel limit (None: no limit)."""

    def __init__(self, max_pixels):
        self.max_pixels = max_pixels

    def __enter__(self):
        self.saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = self.max_pixels

    def __exit__(self, *exc):
        Image.MAX_IMAGE_PIXELS = self.saved


def oriented_size(path):
    """(rows, cols) of the image file ``path`` as :func:`load_image` returns it (EXIF
    rotations by 90 degrees swap the sides), read from the file's header and chunks,
    without decoding the pixels. OSError or ValueError for a file Pillow cannot open."""
    with Image.open(path) as image:
        cols, rows = image.size
        if image.format == "PNG" and "exif" not in image.info:
            # Pillow's getexif decodes a whole PNG to look for an eXIf chunk after the
            # pixels (0.75 s at 18 MP); walking the chunk headers finds it without that.
            orientation = _png_late_orientation(path)
        else:
            orientation = image.getexif().get(_ORIENTATION_TAG, 1)
    return (cols, rows) if orientation in (5, 6, 7, 8) else (rows, cols)


_ORIENTATION_TAG = 0x0112


def _png_late_orientation(path):
    """The EXIF orientation in a PNG's eXIf chunk, found by its chunk headers; 1 if none."""
    with open(path, "rb") as f:
        f.seek(8)  # the signature
        while True:
            header = f.read(8)
            if len(header) < 8:
                return 1
            length, kind = struct.unpack(">I4s", header)
            if kind == b"eXIf":
                exif = Image.Exif()
                exif.load(f.read(length))
                return exif.get(_ORIENTATION_TAG, 1)
            if kind == b"IEND":
                return 1
            f.seek(length + 4, os.SEEK_CUR)  # the data and its CRC


def _pixel_count(path):
    """Width x height from the file's header, read with no limit (no pixels decoded)."""
    with _bomb_limit(None), Image.open(path) as im:
        return f"{im.width}x{im.height} = {im.width * im.height}"


def _from_pil(im, name):
    n_frames = getattr(im, "n_frames", 1)
    if n_frames > 1:
        warnings.warn(f"{name}: animated ({n_frames} frames); only the first frame is used",
                      FirstFrameWarning, stacklevel=3)
        im.seek(0)
    im = ImageOps.exif_transpose(im)
    icc = im.info.get("icc_profile") if im.mode != "CMYK" else None
    has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        im.mode in ("P", "L", "RGB") and "transparency" in im.info)
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit gray: scale to 8 bits ourselves, Pillow's convert("L") clips.
        gray = np.asarray(im, dtype=np.float64) / 257.0
        return LoadedImage(_gray_to_rgb(np.rint(np.clip(gray, 0, 255)).astype(np.uint8)), icc, name)
    if im.mode == "F":
        gray = np.rint(np.clip(np.asarray(im, dtype=np.float64), 0, 255)).astype(np.uint8)
        return LoadedImage(_gray_to_rgb(gray), icc, name)
    rgb = im.convert("RGBA" if has_alpha else "RGB")
    return LoadedImage(np.array(rgb, dtype=np.uint8), icc, name)


def _gray_to_rgb(gray):
    return np.repeat(gray[:, :, None], 3, axis=2)


def _array_pixels(array):
    if array.ndim == 2:
        array = array[:, :, None].repeat(3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise InputError(f"image array must be (M, N), (M, N, 3) or (M, N, 4), got shape {array.shape}")
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise InputError(f"image array is empty: shape {array.shape}")
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if array.dtype == np.uint16:
        return np.rint(array / 257.0).astype(np.uint8)
    if array.dtype.kind == "f":
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise InputError("float image arrays must hold finite values in [0, 1]")
        return np.rint(array * 255).astype(np.uint8)
    raise InputError(f"image arrays must be uint8, uint16 or float in [0, 1], got {array.dtype}")


def check_output(path, overwrite):
    """Raise unless ``path`` can be written: its folder exists, it is not a folder,
    and it does not exist or ``overwrite`` is set. Returns it as a Path."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; name a file to write")
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: already exists; pass --overwrite (overwrite=True) to replace it")
    if not path.parent.is_dir():
        raise OutputError(f"{path}: the folder {path.parent} does not exist")
    return path


def _mode_for(path):
    """A replaced file keeps its permissions; a new one is readable by all."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o644


def write_atomically(path, write, *, overwrite=False):
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it into place.

    Readers never see a half-written file, and an existing ``path`` is replaced only
    with ``overwrite``. The temporary file is removed if writing fails.
    """
    path = check_output(path, overwrite)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise OutputError(f"{path}: cannot write here ({error.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path))
        _lifetime.exit_if_orphaned()  # a worker whose batch was killed writes nothing more
        os.replace(tmp, path)
    except BaseException as error:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(error, OSError) and not isinstance(error, OutputError):
            raise OutputError(f"{path}: cannot write ({error.strerror or error})") from None
        raise


# The filtered rows of a large PNG are deflated in slices of this many bytes, each
# with a fresh window, up to n_threads at a time: the bytes depend on the slices
# only, never on the thread count (a batch's --jobs gives each worker fewer threads).
# A slice boundary forgets 32 kB of history: 0.1% of 18 MP cutouts' bytes.
PNG_SLICE_BYTES = 4 << 20
# zlib-ng's level 5: on cutouts and overlays of three photos of 4-18 MP, 0.99-1.02x
# the bytes of libdeflate's level 6 through oxipng (rows filtered alike), 3-5x faster
# on two threads; level 6 took 1.3-1.7x level 5's time for 0-2.5% fewer bytes (the
# 18 MP astronaut's cutout: 0.53 against 0.32 s), level 4 saved little more time.
PNG_LEVEL = 5
_PNG_COLOR_TYPES = {1: 0, 3: 2, 4: 6}  # channels -> gray, RGB, RGBA


def png_bytes(pixels, *, icc_profile=None, n_threads=1):
    """The content of a PNG file of ``pixels``, (M, N) gray or (M, N, 3 | 4) RGB(A)
    uint8, with ``icc_profile`` (bytes) if given: every row filtered by its difference
    from the row above (PNG's "Up"), deflated by zlib-ng in slices on ``n_threads``.

    For photos of millions of pixels: Pillow's encoder chooses a filter per row
    (3.4 s on an 18 MP cutout) and oxipng copies the pixels into its own buffer one
    element at a time (0.9 s there); this takes 0.3-0.8 s.
    """
    from zlib_ng import zlib_ng  # only when a large picture is written: keeps the CLI's import time

    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    rows = pixels.reshape(pixels.shape[0], -1)
    filtered = np.empty((rows.shape[0], rows.shape[1] + 1), dtype=np.uint8)
    filtered[:, 0] = 2  # Up; above the first row PNG reads zeros
    filtered[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])  # modulo 256, as PNG defines it
    data = memoryview(filtered).cast("B")
    starts = range(0, len(data), PNG_SLICE_BYTES)

    def deflate(start):
        compressor = zlib_ng.compressobj(PNG_LEVEL, zlib_ng.DEFLATED, -zlib_ng.MAX_WBITS)  # raw: no header
        last = start + PNG_SLICE_BYTES >= len(data)
        return compressor.compress(data[start:start + PNG_SLICE_BYTES]) + compressor.flush(
            zlib_ng.Z_FINISH if last else zlib_ng.Z_SYNC_FLUSH)  # byte-aligned, not final: the next follows

    with ThreadPoolExecutor(max(1, min(n_threads, len(starts)))) as pool:
        slices = list(pool.map(deflate, starts))
    stream = b"".join([b"\x78\x9c", *slices, struct.pack(">I", zlib_ng.adler32(data))])
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    header = struct.pack(">IIBBBBB", pixels.shape[1], pixels.shape[0], 8, _PNG_COLOR_TYPES[channels], 0, 0, 0)
    chunks = [(b"IHDR", header)]
    if icc_profile:
        chunks.append((b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(icc_profile)))
    chunks += [(b"IDAT", stream[i:i + (1 << 30)]) for i in range(0, len(stream), 1 << 30)]  # chunks < 2 GB
    chunks.append((b"IEND", b""))
    return b"".join([b"\x89PNG\r\n\x1a\n"] + [struct.pack(">I", len(body)) + kind + body
                                                 + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)))
                                                 for kind, body in chunks])
