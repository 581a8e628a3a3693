"""Animations: every frame in, every frame out, one palette shared by default."""
import io

import numpy as np
import pytest
from PIL import Image

from quantize.compress.animation import compress_animation, load_frames
from quantize.compress.files import CompressSettings, compress_file

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


@pytest.mark.slow
@pytest.mark.parametrize("source_format, options", [("GIF", {}), ("PNG", {}), ("WEBP", {"lossless": True})])
@pytest.mark.parametrize("out", ["gif", "png", "webp"])
def test_every_frame_and_its_duration_come_out(tmp_path, frames, source_format, options, out):
    source = tmp_path / f"in.{source_format.lower()}"
    save_animation(frames, source, source_format, **options)
    result = compress_file(source, tmp_path / f"out.{out}", CompressSettings(n_colors=16))
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


def transparent_frames(photo):
    """Three frames of a photo (different colors each) with a hole in a different place."""
    frames = []
    for i in range(3):
        rgba = np.dstack([np.roll(photo, 60 * i, axis=1) // (i + 1), np.full(photo.shape[:2], 255, np.uint8)])
        rgba[:, 100 * i:100 * i + 80, 3] = 0
        frames.append(rgba)
    return frames


@pytest.mark.slow
@pytest.mark.parametrize("how", ["shared", "per frame", "given palette"])
def test_transparency_is_kept_in_every_frame(tmp_path, photo, how):
    frames = transparent_frames(photo)
    save_animation(frames, tmp_path / "in.png", "PNG")
    options = {"per frame": {"per_frame_palette": True},
               "given palette": {"palette": np.array([[200, 150, 120], [40, 30, 20], [90, 60, 40]], np.uint8)},
               "shared": {}}[how]
    result = compress_animation(load_frames(tmp_path / "in.png"), 8, random_state=0, **options)
    for fmt in ("gif", "png", "webp"):
        _, written = read_frames(result.encoded(fmt))
        for (_, pixels), frame, fitted in zip(written, frames, result.frames):
            np.testing.assert_array_equal(pixels[:, :, 3] == 0, frame[:, :, 3] == 0)
            visible = frame[:, :, 3] > 0
            np.testing.assert_array_equal(pixels[visible][:, :3], fitted.to_array()[visible][:, :3])
            assert len(np.unique(pixels.reshape(-1, 4), axis=0)) <= 8 + (how == "given palette")
    if how != "per frame":
        assert Image.open(io.BytesIO(result.encoded("png"))).mode == "P"  # one palette: indexed APNG


def test_a_gif_that_plays_once_still_plays_once(tmp_path, frames):
    images = [Image.fromarray(f) for f in frames]
    images[0].save(tmp_path / "once.gif", save_all=True, append_images=images[1:], duration=DURATIONS)
    result = compress_animation(load_frames(tmp_path / "once.gif"), 8, random_state=0)
    assert "loop" not in Image.open(io.BytesIO(result.encoded("gif"))).info
    assert Image.open(io.BytesIO(result.encoded("png"))).info["loop"] == 1
    looping = tmp_path / "loop3.gif"
    images[0].save(looping, save_all=True, append_images=images[1:], duration=DURATIONS, loop=3)
    assert Image.open(io.BytesIO(compress_animation(looping, 8, random_state=0).encoded("gif"))).info["loop"] == 3


def test_semi_transparent_frames_into_gif_warn(tmp_path, photo):
    from quantize.errors import TransparencyWarning
    frames = transparent_frames(photo)
    for frame in frames:
        frame[:40, :, 3] = 128
    save_animation(frames, tmp_path / "semi.png", "PNG")
    result = compress_animation(load_frames(tmp_path / "semi.png"), 8, random_state=0)
    with pytest.warns(TransparencyWarning, match="GIF keeps only full transparency"):
        result.encoded("gif")


def test_a_locked_color_stays_in_the_gif_palette(tmp_path, frames):
    animation = load_frames_of(tmp_path, frames)
    result = compress_animation(animation, 8, random_state=0, locked_colors=np.array([[0, 255, 0]], np.uint8))
    image = Image.open(io.BytesIO(result.encoded("gif")))
    flat = image.getpalette()
    assert (0, 255, 0) in {tuple(flat[i:i + 3]) for i in range(0, len(flat), 3)}


def test_a_shared_palette_is_learned_from_every_frame(tmp_path):
    from quantize.compress.shared import learn_shared_palette
    red, blue = np.zeros((40, 40, 3), np.uint8), np.zeros((40, 40, 3), np.uint8)
    red[..., 0], blue[..., 2] = 255, 255
    save_animation([red, blue, red], tmp_path / "rb.gif", "GIF")
    palette, _ = learn_shared_palette([tmp_path / "rb.gif"], 2, random_state=0)
    assert {tuple(c) for c in palette} == {(255, 0, 0), (0, 0, 255)}


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


def test_an_animation_of_fewer_colors_than_asked_warns_once(tmp_path):
    from quantize import FewDistinctPointsWarning
    colors = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (240, 240, 240)]
    frames = [np.full((20, 20, 3), colors[i], np.uint8) for i in range(3)]
    frames[2][:10] = colors[3]
    animation = load_frames_of(tmp_path, frames)
    with pytest.warns(FewDistinctPointsWarning, match="only 4 distinct visible colors") as caught:
        result = compress_animation(animation, 32, random_state=0)
    assert len([w for w in caught if issubclass(w.category, FewDistinctPointsWarning)]) == 1
    assert len(result.frames[0].palette) == 4
