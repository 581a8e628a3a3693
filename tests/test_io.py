"""Loading every mode Pillow reads, EXIF, ICC, bad files, and atomic writes."""
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms

from quantize import InputError, load_image
from quantize.io import OutputExistsError, write_atomically


def _rgb(seed=0, shape=(20, 30)):
    return np.random.default_rng(seed).integers(0, 256, shape + (3,), dtype=np.uint8)


@pytest.mark.parametrize("mode, channels", [
    ("RGB", 3), ("RGBA", 4), ("LA", 4), ("L", 3), ("1", 3), ("CMYK", 3), ("YCbCr", 3), ("I", 3), ("F", 3),
])
def test_every_mode_loads_as_8_bit(tmp_path, mode, channels):
    image = Image.fromarray(_rgb()).convert(mode)
    path = tmp_path / ("x.tiff" if mode in ("CMYK", "YCbCr", "F", "I") else "x.png")
    if mode == "YCbCr":
        path = tmp_path / "x.jpg"
    image.save(path)
    pixels = load_image(path).pixels
    assert pixels.dtype == np.uint8 and pixels.shape == (20, 30, channels)


def test_palette_image_keeps_its_transparency(tmp_path):
    image = Image.fromarray(_rgb()).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    image.info["transparency"] = 0
    image.save(tmp_path / "p.png", transparency=0)
    pixels = load_image(tmp_path / "p.png").pixels
    assert pixels.shape[2] == 4
    assert (pixels[..., 3] == 0).any() and (pixels[..., 3] == 255).any()


def test_16_bit_gray_and_48_bit_rgb_load(tmp_path):
    gray = (np.arange(600, dtype=np.uint16).reshape(20, 30) * 100)
    Image.fromarray(gray).save(tmp_path / "g16.png")
    pixels = load_image(tmp_path / "g16.png").pixels
    np.testing.assert_array_equal(pixels[..., 0], np.rint(gray / 257.0).astype(np.uint8))
    rgb16 = (_rgb().astype(np.uint16) * 257)
    np.testing.assert_array_equal(load_image(rgb16).pixels, _rgb())


def test_exif_orientation_is_applied(tmp_path):
    image = Image.fromarray(_rgb(shape=(20, 30)))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    image.save(tmp_path / "o.jpg", exif=exif)
    assert load_image(tmp_path / "o.jpg").pixels.shape[:2] == (30, 20)


def test_icc_profile_is_kept(tmp_path):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(_rgb()).save(tmp_path / "icc.png", icc_profile=profile)
    assert load_image(tmp_path / "icc.png").icc_profile == profile


@pytest.mark.parametrize("content, match", [
    (b"", r"an empty file \(0 bytes\)"),
    (b"hello, I am text", "not an image"),
    ("truncated", "cannot decode"),
])
def test_bad_files_raise_naming_the_file(tmp_path, content, match):
    path = tmp_path / "bad.png"
    if content == "truncated":
        buffer = io.BytesIO()
        Image.fromarray(_rgb(shape=(200, 200))).save(buffer, format="PNG")
        content = buffer.getvalue()[:2000]
    path.write_bytes(content)
    with pytest.raises(InputError, match=f"bad.png: {match}"):
        load_image(path)


def test_missing_file():
    with pytest.raises(InputError, match="nope.png: no such file"):
        load_image("nope.png")


def test_decompression_bomb_limit_stays_on_unless_raised(tmp_path):
    Image.fromarray(_rgb(shape=(100, 100))).save(tmp_path / "big.png")
    with pytest.raises(InputError, match="big.png: 100x100 = 10000 pixels, above the limit of 1000"):
        load_image(tmp_path / "big.png", max_pixels=1000)
    assert load_image(tmp_path / "big.png", max_pixels=10**6).pixels.shape == (100, 100, 3)
    assert Image.MAX_IMAGE_PIXELS > 10**6  # the global limit is restored


@pytest.mark.parametrize("array, match", [
    (np.zeros((2, 2, 2), np.uint8), "must be"),
    (np.full((2, 2, 3), 2.0), r"\[0, 1\]"),
    (np.zeros((2, 2, 3), np.int64), "uint8, uint16 or float"),
])
def test_bad_arrays(array, match):
    with pytest.raises(InputError, match=match):
        load_image(array)


def test_atomic_write_refuses_to_overwrite_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "out.bin"
    write_atomically(target, lambda f: f.write(b"one"))
    with pytest.raises(OutputExistsError, match="out.bin: already exists"):
        write_atomically(target, lambda f: f.write(b"two"))

    def fail(f):
        f.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(target, fail, overwrite=True)
    assert target.read_bytes() == b"one"
    write_atomically(target, lambda f: f.write(b"two"), overwrite=True)
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_png_bytes_decode_to_their_pixels_whatever_the_threads(channels, monkeypatch):
    from quantize import io as quantize_io
    monkeypatch.setattr(quantize_io, "PNG_SLICE_BYTES", 997)  # many slices, cut inside rows
    rng = np.random.default_rng(channels)
    pixels = rng.integers(0, 256, (61, 47, channels), dtype=np.uint8)
    pixels[20:40] = 7  # runs the deflater can match, across slices
    pixels = pixels[:, :, 0] if channels == 1 else pixels
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    contents = [quantize_io.png_bytes(pixels, icc_profile=profile, n_threads=n) for n in (1, 3)]
    assert contents[0] == contents[1]  # the slices, not the threads, decide the bytes
    stream, position = b"", 8
    while position < len(contents[0]):  # every chunk's CRC holds; the zlib stream's checksum too
        length, kind = struct.unpack(">I4s", contents[0][position:position + 8])
        body = contents[0][position + 8:position + 8 + length]
        assert struct.unpack(">I", contents[0][position + 8 + length:position + 12 + length])[0] == zlib.crc32(kind + body)
        stream += body if kind == b"IDAT" else b""
        position += 12 + length
    assert len(zlib.decompress(stream)) == pixels.shape[0] * (1 + pixels[0].size)
    with Image.open(io.BytesIO(contents[0])) as back:
        assert back.mode == {1: "L", 3: "RGB", 4: "RGBA"}[channels]
        assert back.info["icc_profile"] == profile
        np.testing.assert_array_equal(np.asarray(back), pixels)


def _png_with_late_exif(path, exif):
    """A PNG whose eXIf chunk comes after the pixels (allowed; Pillow writes it before)."""
    Image.new("RGB", (40, 30), "white").save(path)
    content = path.read_bytes()
    body = exif.tobytes()[len(b"Exif\x00\x00"):]  # an eXIf chunk holds the TIFF data alone
    chunk = struct.pack(">I", len(body)) + b"eXIf" + body + struct.pack(">I", zlib.crc32(b"eXIf" + body))
    path.write_bytes(content[:-12] + chunk + content[-12:])  # before IEND


@pytest.mark.parametrize("where", ["jpeg", "png", "late png", "none"])
def test_oriented_size_reads_the_orientation_without_decoding(where, tmp_path):
    from quantize.io import oriented_size
    exif = Image.Exif()
    exif[0x0112] = 6 if where != "none" else 1
    path = tmp_path / ("o.jpg" if where == "jpeg" else "o.png")
    if where == "late png":
        _png_with_late_exif(path, exif)
    else:
        Image.new("RGB", (40, 30), "white").save(path, exif=exif)
    assert oriented_size(path) == load_image(path).pixels.shape[:2] == ((30, 40) if where == "none" else (40, 30))
    with Image.open(path) as image:  # a late chunk is not in the header Pillow reads at open
        assert ("exif" in image.info) == (where != "late png")
