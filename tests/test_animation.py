"""Animations: every frame in, every frame out, one palette shared by default."""
import io

import numpy as np
import pytest
from PIL import Image

from quantize.animation import compress_animation, load_frames
from quantize.compress_files import compress_file

DURATIONS = [100, 200, 300]


@pytest.fixture
def frames(photo):
    """Three different frames of a real photo: shifted and darkened."""
    return [np.roll(photo, 40 * i, axis=1) // (i + 1) for i in range(3)]


def save_animation(frames, path, fmt, **options):
    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, format=fmt, save_all=True, append_images=images[1:], duration=DURATIONS, loop=0,
                   **options)


def read_frames(data):
    image = Image.open(io.BytesIO(data))
    found = []
    for index in range(image.n_frames):
        image.seek(index)
        image.load()
        found.append((int(image.info.get("duration", 0)), np.asarray(image.convert("RGBA")).copy()))
    return image.format, found


@pytest.mark.parametrize("source_format, options", [("GIF", {}), ("PNG", {}), ("WEBP", {"lossless": True})])
@pytest.mark.parametrize("out", ["gif", "png", "webp"])
def test_every_frame_and_its_duration_come_out(tmp_path, frames, source_format, options, out):
    source = tmp_path / f"in.{source_format.lower()}"
    save_animation(frames, source, source_format, **options)
    result = compress_file(source, tmp_path / f"out.{out}", n_colors=16, random_state=0)
    file_format, written = read_frames((tmp_path / f"out.{out}").read_bytes())
    assert file_format == {"gif": "GIF", "png": "PNG", "webp": "WEBP"}[out]
    assert [duration for duration, _ in written] == DURATIONS
    for (_, pixels), frame in zip(written, result.frames):
        assert len(np.unique(pixels.reshape(-1, 4), axis=0)) <= 16
        np.testing.assert_array_equal(pixels[:, :, :3], frame.to_array()[:, :, :3])  # exactly what was fitted


def test_one_palette_for_all_frames_by_default(tmp_path, frames):
    animation = load_frames_of(tmp_path, frames)
    shared = compress_animation(animation, 16, random_state=0)
    assert shared.shared_palette and all((f.palette == shared.frames[0].palette).all() for f in shared.frames)
    image = Image.open(io.BytesIO(shared.encoded("png")))
    assert image.mode == "P"  # an APNG of one palette stays indexed
    local = compress_animation(animation, 16, per_frame_palette=True, random_state=0)
    assert not all((f.palette == local.frames[0].palette).all() for f in local.frames)
    assert local.mse <= shared.mse  # a palette per frame fits each frame at least as well


def test_transparency_is_kept_in_every_frame(tmp_path, photo):
    frames = []
    for i in range(3):
        rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
        rgba[:, 100 * i:100 * i + 80, 3] = 0
        frames.append(rgba)
    save_animation(frames, tmp_path / "in.png", "PNG")
    result = compress_animation(load_frames(tmp_path / "in.png"), 8, random_state=0)
    for fmt in ("gif", "png", "webp"):
        _, written = read_frames(result.encoded(fmt))
        for (_, pixels), frame in zip(written, frames):
            np.testing.assert_array_equal(pixels[:, :, 3] == 0, frame[:, :, 3] == 0)


def test_dithered_animation_is_reproducible_and_keeps_local_means(tmp_path, frames):
    animation = load_frames_of(tmp_path, frames)
    plain = compress_animation(animation, 8, random_state=0)
    a = compress_animation(animation, 8, dither=True, random_state=0, n_threads=1)
    b = compress_animation(animation, 8, dither=True, random_state=0, n_threads=2)
    for x, y in zip(a.frames, b.frames):
        np.testing.assert_array_equal(x.labels, y.labels)
    from scipy.ndimage import gaussian_filter

    def blurred_error(result):
        errors = [gaussian_filter(f.to_array().astype(float) - p, sigma=(2, 2, 0)) for f, p in
                  zip(result.frames, frames)]
        return float(np.mean([np.mean(e ** 2) for e in errors]))
    assert blurred_error(a) < blurred_error(plain)


def load_frames_of(tmp_path, frames):
    save_animation(frames, tmp_path / "anim.gif", "GIF")
    return load_frames(tmp_path / "anim.gif")
