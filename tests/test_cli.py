"""The command line through click's CliRunner: outputs, exit codes, refusals."""
import json

import pytest
from click.testing import CliRunner
from PIL import Image

from quantize.cli.main import cli


def _open(path):
    with Image.open(path) as image:
        image.load()
    return image


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_help_and_version():
    assert run("--help").exit_code == 0
    assert "compress" in run("--help").output
    assert run("--version").output.startswith("quantize, version")


def test_compress_writes_an_indexed_png_and_skips_existing_outputs(photo_path, tmp_path):
    out = tmp_path / "out.png"
    result = run("compress", photo_path, "-k", 16, "-o", out)
    assert result.exit_code == 0, result.output
    image = _open(out)
    assert image.mode == "P" and len(image.getcolors()) <= 16
    before = out.read_bytes()
    skipped = run("compress", photo_path, "-k", 8, "-o", out)
    assert skipped.exit_code == 0 and "1 skipped" in skipped.output
    assert out.read_bytes() == before
    assert run("compress", photo_path, "-k", 8, "-o", out, "--overwrite").exit_code == 0
    assert out.read_bytes() != before


def test_default_output_name_and_gif(photo_path):
    assert run("compress", photo_path, "-k", 8).exit_code == 0
    assert (photo_path.parent / "cat-quantized.png").exists()
    assert run("compress", photo_path, "-k", 8, "--format", "gif").exit_code == 0
    assert _open(photo_path.parent / "cat-quantized.gif").format == "GIF"


def test_a_bad_file_fails_alone_with_exit_1(photo_path, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    out = tmp_path / "out"
    out.mkdir()
    result = run("compress", bad, photo_path, "-k", 4, "-o", out)
    assert result.exit_code == 1
    assert "broken.png: not an image" in result.output
    assert (out / "cat.png").exists() and not (out / "broken.png").exists()


def test_input_is_never_overwritten(photo_path):
    before = photo_path.read_bytes()
    result = run("compress", photo_path, "-k", 4, "-o", photo_path, "--overwrite")
    assert result.exit_code == 2 and "never replaces an input" in result.output
    assert photo_path.read_bytes() == before


@pytest.mark.parametrize("args", [
    ["-k", 0], ["-k", 4, "--quality", 30], [], ["-k", 4, "--space", "hsv"],
])
def test_usage_errors_exit_2_in_one_line(photo_path, args):
    result = run("compress", photo_path, *args)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("Error: "), result.output


@pytest.mark.parametrize("command, args, option", [
    ("compress", ["-k", "abc"], "'-k' / '--colors'"), ("compress", ["--quality", 30, "--max-colors", "x"],
                                                       "'--max-colors'"),
    ("compress", ["-k", 4, "--jobs", "two"], "'-j' / '--jobs'"), ("segment", ["--labels", "six"], "'--labels'"),
])
def test_a_word_for_a_number_is_called_not_an_integer(photo_path, command, args, option):
    """click's IntRange called it "not a valid integer range", which no user typed."""
    result = run(command, photo_path, *args)
    assert result.exit_code == 2
    assert f"Invalid value for {option}: '{args[-1]}' is not a valid integer." in result.output, result.output


def test_quality_palette_lock_dither_compare(photo_path, tmp_path):
    assert run("compress", photo_path, "--quality", 28, "--max-colors", 64, "-o", tmp_path / "q.png").exit_code == 0
    assert len(_open(tmp_path / "q.png").getcolors()) < 64
    (tmp_path / "brand.gpl").write_text("GIMP Palette\nName: b\n#\n255 0 0 red\n0 0 255 blue\n")
    assert run("compress", photo_path, "--palette", tmp_path / "brand.gpl", "-o", tmp_path / "p.png").exit_code == 0
    assert {c for _, c in _open(tmp_path / "p.png").convert("RGB").getcolors()} <= {(255, 0, 0), (0, 0, 255)}
    result = run("compress", photo_path, "-k", 6, "--lock", "#00ff00", "--dither", "-o", tmp_path / "l.png",
                 "--compare", tmp_path / "cmp.png")
    assert result.exit_code == 0, result.output
    flat = _open(tmp_path / "l.png").getpalette()
    assert (0, 255, 0) in {tuple(flat[i:i + 3]) for i in range(0, len(flat), 3)}  # kept, used or not
    assert _open(tmp_path / "cmp.png").size[0] > _open(photo_path).size[0] * 2


@pytest.mark.parametrize("fmt", ["json", "csv", "gpl", "png"])
def test_palette_formats(photo_path, tmp_path, fmt):
    out = tmp_path / f"pal.{fmt}"
    result = run("palette", photo_path, "-k", 5, "-o", out)
    assert result.exit_code == 0, result.output
    if fmt == "json":
        colors = json.loads(out.read_text())["colors"]
        assert len(colors) == 5 and sum(c["proportion"] for c in colors) == pytest.approx(1, abs=1e-4)
    elif fmt == "png":
        assert _open(out).format == "PNG"
    else:
        assert out.read_text().count("#") >= 5


def test_palette_to_stdout_and_plot(photo_path, tmp_path):
    result = run("palette", photo_path, "-k", 3, "--plot", tmp_path / "cloud.png")
    assert result.exit_code == 0
    assert len(json.loads(result.output)["colors"]) == 3
    assert _open(tmp_path / "cloud.png").size == (684, 684)
    again = run("palette", photo_path, "-k", 3, "--plot", tmp_path / "cloud.png")  # the plot kept, the palette printed
    assert again.exit_code == 0 and len(json.loads(again.stdout)["colors"]) == 3
    assert f"kept the existing {tmp_path / 'cloud.png'} (--overwrite to redo); printing the palette alone" in again.stderr


def test_a_missing_file_is_a_usage_error_before_any_work(tmp_path, photo_path):
    result = run("palette", tmp_path / "none.png", "-k", 3)
    assert result.exit_code == 2 and "none.png: no such file" in result.output
    result = run("compress", photo_path, tmp_path / "none.png", "-k", 3, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "none.png: no such file" in result.output
    assert not (tmp_path / "out").exists()


def test_a_pattern_that_matches_nothing_is_said_and_the_rest_is_done(tmp_path, photo_path):
    result = run("compress", photo_path, str(tmp_path / "*.jgp"), "-k", 3, "-o", tmp_path / "out")
    assert result.exit_code == 0
    assert "*.jgp: no image file matches" in result.output
    assert len(list((tmp_path / "out").iterdir())) == 1
