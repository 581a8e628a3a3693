"""Batches: folder trees, failures that stay alone, resume, --jobs, Dask, shared palette."""
import concurrent.futures as futures
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from quantize.cli.main import cli

import quantize
from quantize.batch.discovery import discover
from quantize.batch.runners import run_tasks
from quantize.batch.tasks import Record, Task
from quantize.compress.files import CompressSettings
from quantize.compress.shared import learn_shared_palette


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def tree(tmp_path, photo):
    """in/a.png, in/sub/b.jpg, in/sub/deeper/c.png (crops of a real photo), plus
    a corrupt file, a zero-byte file and files that are not images."""
    root = tmp_path / "in"
    (root / "sub" / "deeper").mkdir(parents=True)
    Image.fromarray(photo[:150, :200]).save(root / "a.png")
    Image.fromarray(photo[100:, 150:]).save(root / "sub" / "b.jpg", quality=92)
    Image.fromarray(photo[50:200, 200:400]).save(root / "sub" / "deeper" / "c.png")
    Image.fromarray(photo[:80, :90]).save(root / "sub" / "no_extension", format="PNG")
    (root / "notes.txt").write_text("not an image")
    (root / ".DS_Store").write_bytes(b"\0\1")
    (root / "sub" / "._b.jpg").write_bytes(b"\0\5\0")
    return root


def add_bad_files(root):
    (root / "sub" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    (root / "zero.jpg").write_bytes(b"")


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_discovery_by_content_not_extension(tree):
    found = [str(s.relative) for s in discover([tree], recursive=True)]
    assert found == ["a.png", "sub/b.jpg", "sub/deeper/c.png", "sub/no_extension"]
    assert [str(s.relative) for s in discover([tree])] == ["a.png"]
    assert [s.path.name for s in discover([str(tree / "sub" / "*.jpg")])] == ["b.jpg"]


@pytest.mark.slow
def test_mirrored_tree_and_bad_files_fail_alone(tree, tmp_path):
    add_bad_files(tree)
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    result = run("compress", tree, "-r", "-k", 8, "-o", out, "--report", report, "--jobs", 2)
    assert result.exit_code == 1
    assert "corrupt.png" in result.output and "zero.jpg" in result.output
    assert files_under(out) == ["a.png", "sub/b.png", "sub/deeper/c.png", "sub/no_extension.png"]
    rows = {Path(r["source"]).name: r for r in json.loads(report.read_text())}
    assert rows["corrupt.png"]["status"] == rows["zero.jpg"]["status"] == "failed"
    assert rows["a.png"]["status"] == "ok" and rows["a.png"]["colors"] == 8 and rows["a.png"]["psnr"] > 20
    assert "6 files: 4 done, 0 skipped, 2 failed" in result.output


@pytest.mark.slow
def test_same_stem_in_one_folder_does_not_collide(tmp_path, photo):
    Image.fromarray(photo[:60, :60]).save(tmp_path / "x.png")
    Image.fromarray(photo[60:120, :60]).save(tmp_path / "x.jpg")
    result = run("compress", tmp_path / "x.png", tmp_path / "x.jpg", "-k", 4, "-o", tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert files_under(tmp_path / "o") == ["x.jpg.png", "x.png.png"]


@pytest.mark.slow
def test_skip_overwrite_and_in_place(tree, tmp_path):
    out = tmp_path / "out"
    assert run("compress", tree, "-r", "-k", 8, "-o", out).exit_code == 0
    first = (out / "a.png").read_bytes()
    (out / "sub" / "b.png").unlink()  # as if the run had been interrupted
    again = run("compress", tree, "-r", "-k", 4, "-o", out)
    assert "1 done, 3 skipped" in again.output
    assert (out / "a.png").read_bytes() == first  # skipped: still 8 colors
    assert len(Image.open(out / "sub" / "b.png").getcolors()) <= 4
    redo = run("compress", tree, "-r", "-k", 4, "-o", out, "--overwrite")
    assert "4 done" in redo.output and (out / "a.png").read_bytes() != first
    source = tree / "a.png"
    before = source.read_bytes()
    assert run("compress", source, "-k", 4, "-o", source).exit_code == 2
    assert source.read_bytes() == before
    assert run("compress", source, "-k", 4, "--in-place").exit_code == 0
    with Image.open(source) as replaced:
        assert replaced.mode == "P" and len(replaced.getcolors()) <= 4


@pytest.mark.slow
def test_jobs_give_byte_identical_outputs(tree, tmp_path):
    for jobs in (1, 2):
        assert run("compress", tree, "-r", "-k", 16, "-o", tmp_path / f"j{jobs}", "--jobs", jobs).exit_code == 0
        # Neither the 80x90 crop nor b.jpg's crop of the cat's face holds a subject the
        # frame's color models settle on: both fail as unsure.
        segmented = run("segment", tree, "-r", "--mask", tmp_path / f"m{jobs}", "--jobs", jobs)
        assert segmented.exit_code == 1 and "no_extension: no clear subject (confidence" in segmented.output
        assert "b.jpg: no clear subject (confidence" in segmented.output
    for a, b, n_files in (("j1", "j2", 4), ("m1", "m2", 2)):
        names = files_under(tmp_path / a)
        assert names == files_under(tmp_path / b) and len(names) == n_files
        for name in names:
            assert (tmp_path / a / name).read_bytes() == (tmp_path / b / name).read_bytes(), name


def _start_batch(tmp_path, photo, n_files, wait_for):
    """Start ``quantize compress`` of ``n_files`` photos with --jobs 2 in a session
    of its own; return (command, process, output folder) once ``wait_for``
    outputs exist."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(n_files):
        Image.fromarray(np.roll(photo, 11 * i, axis=1)).save(folder / f"p{i:02d}.png")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "quantize.cli.main", "-q", "compress", str(folder), "-k", "64",
               "-o", str(out), "--jobs", "2"]
    # cwd: not the repository root, where -m would import the uncompiled source tree.
    process = subprocess.Popen(command, start_new_session=True, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(out.glob("*.png"))) < wait_for and process.poll() is None:
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be killed"
    return command, process, out


@pytest.mark.slow
def test_a_killed_run_resumes_to_complete_outputs(tmp_path, photo):
    command, process, out = _start_batch(tmp_path, photo, 12, wait_for=3)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_before = len(list(out.glob("*.png")))
    assert 0 < done_before < 12
    for partial in out.glob("*.png"):
        Image.open(partial).load()  # every output there is complete
    finished = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"p{i:02d}.png" for i in range(12)]  # no .tmp left


def _processes_in_session(session):
    """Pids of the live (not zombie) processes of a session."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session and fields[0] not in (b"Z", b"X"):
                found.append(int(entry))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process table from /proc")
def test_killing_the_main_process_ends_the_run(tmp_path, photo):
    """kill -9 of the command (not its group): the fork server, the resource
    tracker and the workers all end, and no output appears after the kill."""
    _, process, out = _start_batch(tmp_path, photo, 40, wait_for=2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    written = {p.name for p in out.glob("*.png")}
    assert 0 < len(written) < 40
    time.sleep(10)
    left = _processes_in_session(process.pid)
    for pid in left:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} processes of the killed run still alive after 10 s"
    assert {p.name for p in out.glob("*.png")} == written, "outputs written after the kill"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_scheduler(tmp_path):
    pytest.importorskip("distributed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--dashboard-address", "127.0.0.1:0"],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--host", "127.0.0.1",
                               "--nworkers", "1", "--nthreads", "1", "--dashboard-address", "127.0.0.1:0",
                               "--local-directory", str(tmp_path / "dask-worker")],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        from distributed import Client
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=30)


@pytest.mark.slow
def test_dask_cluster_gives_the_local_outputs(tree, tmp_path, dask_scheduler):
    add_bad_files(tree)
    local = run("compress", tree, "-r", "-k", 16, "-o", tmp_path / "local", "--jobs", 1)
    remote = run("compress", tree, "-r", "-k", 16, "-o", tmp_path / "dask", "--scheduler", dask_scheduler,
                 "--report", tmp_path / "r.csv")
    assert local.exit_code == remote.exit_code == 1
    assert "corrupt.png" in remote.output
    names = files_under(tmp_path / "local")
    assert names == files_under(tmp_path / "dask") and len(names) == 4
    for name in names:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()
    assert (tmp_path / "r.csv").read_text().count("\n") == 7, remote.output  # header + 6 files


@pytest.mark.slow
def test_shared_palette_matches_one_fit_on_all_pixels(tree, tmp_path):
    paths = [s.path for s in discover([tree], recursive=True)]
    palette, proportions = learn_shared_palette(paths, 16, space="rgb", random_state=0)
    assert palette.shape == (16, 3) and np.isclose(proportions.sum(), 1)
    pixels = np.concatenate([np.asarray(Image.open(p).convert("RGB")).reshape(-1, 3) for p in paths])
    X = pixels.astype(np.float64)
    joint = quantize.KMeans(16, random_state=0).fit(X)

    def inertia(centers):
        return ((X[:, None, :] - centers[None].astype(np.float64)) ** 2).sum(axis=2).min(axis=1).sum()
    assert inertia(palette) <= 1.05 * inertia(joint.cluster_centers_)
    out = tmp_path / "out"
    result = run("compress", tree, "-r", "-k", 16, "--shared-palette", "--save-palette", tmp_path / "p.json",
                 "-o", out)
    assert result.exit_code == 0, result.output
    saved = {c["hex"] for c in json.loads((tmp_path / "p.json").read_text())["colors"]}
    assert len(saved) == 16
    for name in files_under(out):
        with Image.open(out / name) as image:
            used = {"#%02x%02x%02x" % c for _, c in image.convert("RGB").getcolors()}
        assert used <= saved, name


class _PoolThatBreaksOn(futures.Executor):
    """Stands in for a process pool whose worker dies on the file named ``fatal``:
    that task and every task still queued behind it are lost, as in a real pool."""

    def __init__(self, fatal, log):
        self.fatal, self.log, self.broken = fatal, log, False

    def submit(self, fn, task):
        future = futures.Future()
        if self.broken or task.source.name == self.fatal:
            self.broken = True
            future.set_exception(futures.process.BrokenProcessPool("a worker died"))
        else:
            self.log.append(task.source.name)
            future.set_result(Record(str(task.source), "ok"))
        return future


def test_a_worker_crash_costs_only_its_file(tmp_path):
    names = ["a.png", "b.png", "crash.png", "d.png", "e.png"]
    tasks = [Task("compress", tmp_path / n, {}, CompressSettings(n_colors=4)) for n in names]
    ran = []
    records = list(run_tasks(tasks, lambda n_workers: _PoolThatBreaksOn("crash.png", ran)))
    status = {Path(r.source).name: r.status for r in records}
    assert status == {"a.png": "ok", "b.png": "ok", "crash.png": "failed", "d.png": "ok", "e.png": "ok"}
    assert sorted(ran) == ["a.png", "b.png", "d.png", "e.png"]  # each good file ran once
    assert "worker process died" in next(r.error for r in records if r.status == "failed")


def test_verbose_counts_the_colors_a_file_uses_not_the_shared_palette(tmp_path, photo):
    Image.fromarray(photo).save(tmp_path / "photo.png")
    flat = np.zeros((20, 20, 3), np.uint8)
    flat[:10] = [250, 250, 250]
    Image.fromarray(flat).save(tmp_path / "flat.png")  # two colors of a 16-color shared palette
    result = run("compress", tmp_path / "photo.png", tmp_path / "flat.png", "-k", 16, "--shared-palette",
                 "-o", tmp_path / "out", "-v", "--jobs", 1)
    assert result.exit_code == 0, result.output
    assert re.search(r"flat.png: done \(2 colors,", result.output), result.output
    assert re.search(r"photo.png: done \(1[0-6] colors,", result.output), result.output
