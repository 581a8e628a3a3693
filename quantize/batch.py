"""Run one per-file worker over many files: local processes or a Dask cluster.

Every execution path runs :func:`run_task` on a :class:`Task` and gets back a
:class:`Record`, so ``--jobs 1``, ``--jobs N`` and a cluster write the same
bytes. The loop submits tasks to a ``concurrent.futures``-style executor (a
process pool, or Dask's ``Client.get_executor()``) and collects them as they
complete; a process pool that breaks (a worker killed or crashed) is rebuilt and
the lost tasks are resubmitted, so one bad file costs only itself.
"""
import concurrent.futures as futures
import contextlib
import glob
import multiprocessing
import os
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from PIL import Image

from . import _lifetime
from ._parallel import resolve_n_threads
from .errors import InputError, QuantizeError
from .outputs import make_folder_for

# Extensions that claim to be an image: such a file that cannot be decoded is a
# failure to report, not a file to skip. Files with other names are kept only
# when Pillow recognises their content.
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ppm",
                    ".pgm", ".pbm", ".tga", ".ico", ".jp2", ".avif", ".heic"}
IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
TRACKER_WARNING = "ignore:resource_tracker:UserWarning"


@dataclass(frozen=True)
class Source:
    """An input file, its path relative to the folder it was found in, and whether
    it was named itself (not found in a folder or by a pattern)."""
    path: Path
    relative: Path
    named: bool = False


@dataclass(frozen=True)
class Task:
    """One file's work: ``command`` ("compress" or "segment") from ``source`` to
    ``targets`` (keyword -> path) with ``options`` for the per-file function."""
    command: str
    source: Path
    targets: dict
    options: dict
    n_threads: int | None = None

    def with_options(self, **changes):
        return replace(self, options={**self.options, **changes})


@dataclass
class Record:
    """How one file ended: status "ok", "skipped" or "failed"; ``error`` says why
    it failed or was skipped; ``warnings`` are one line each, naming the file."""
    source: str
    status: str
    error: str = ""
    warnings: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    colors: int | None = None
    psnr: float | None = None
    mse: float | None = None
    foreground_fraction: float | None = None

    def as_row(self):
        row = asdict(self)
        row["outputs"] = ";".join(self.outputs)
        row["warnings"] = ";".join(self.warnings)
        return row


def _looks_like_image(path):
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        return True
    try:
        with Image.open(path):
            return True
    except Exception:  # noqa: BLE001 - anything Pillow cannot open is not an image
        return False


def _ignored(path):
    return path.name in IGNORED_NAMES or path.name.startswith("._") or path.name.endswith(".tmp")


def discover(inputs, recursive=False):
    """Files to process from files, folders and glob patterns, in a stable order.

    A folder contributes its images (all levels with ``recursive``), each with
    its path relative to the folder, so outputs can mirror the tree; a pattern's
    matches are relative to the folder before its first wildcard. Hidden
    AppleDouble files and ``.DS_Store`` are ignored; other files are kept when
    their extension or their content says image. A file given twice (or found
    twice) is one input.
    """
    sources = []
    for item in inputs:
        item = str(item)
        path = Path(item)
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            found = sorted(p for p in path.glob(pattern) if p.is_file() and not _ignored(p)
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            sources += [Source(p, p.relative_to(path)) for p in found if _looks_like_image(p)]
        elif path.exists():
            sources.append(Source(path, Path(path.name), named=True))
        elif glob.has_magic(item):
            root = _pattern_root(item)
            matches = sorted(Path(p) for p in glob.glob(item, recursive=True))
            sources += [Source(p, p.relative_to(root)) for p in matches
                        if p.is_file() and not _ignored(p) and _looks_like_image(p)]
        else:
            sources.append(Source(path, Path(path.name), named=True))  # fails: no such file
    return _once_each(sources)


def _pattern_root(pattern):
    """The folder of a glob pattern before its first wildcard: 'shots/**/*.jpg' -> 'shots'."""
    root = []
    for part in Path(pattern).parts:
        if glob.has_magic(part):
            break
        root.append(part)
    return Path(*root) if root else Path(".")


def _once_each(sources):
    seen, unique = set(), []
    for source in sources:
        key = os.path.realpath(source.path)
        if key not in seen:
            seen.add(key)
            unique.append(source)
    return unique


def remove_stale_temporaries(targets):
    """Delete temporary files a killed run left beside these targets."""
    for target in targets:
        for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
            stale.unlink(missing_ok=True)


def naming(source, message):
    """``message`` as one line that starts with the file it is about."""
    message = " ".join(str(message).split())
    return message if message.startswith(str(source)) else f"{source}: {message}"


@contextlib.contextmanager
def warnings_of(source, into):
    """Collect the warnings issued inside the block into the list ``into``, once
    each, as one line naming ``source``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            into.extend(dict.fromkeys(naming(source, w.message) for w in caught))


def run_task(task):
    """The per-file worker: run one task, never raise, return its Record. Warnings
    become lines of the Record, so they reach the user from any process."""
    from .compress_files import compress_file
    from .cutout import segment_file
    start = time.perf_counter()
    record = Record(str(task.source), "ok")
    n_threads = task.n_threads or _threads_on_this_worker()
    try:
        with warnings_of(task.source, record.warnings):
            record.bytes_in = task.source.stat().st_size if task.source.exists() else 0
            for target in task.targets.values():
                make_folder_for(target)
            if task.command == "compress":
                result = compress_file(task.source, n_threads=n_threads, **task.targets, **task.options)
                colors = result.n_colors if hasattr(result, "n_colors") else len(result.palette)
                record.colors, record.psnr, record.mse = colors, result.psnr, result.mse
            else:
                result = segment_file(task.source, n_threads=n_threads, **task.targets, **task.options)
                record.foreground_fraction = result.foreground_fraction
                record.colors = result.n_regions
    except QuantizeError as error:
        record.status, record.error = "failed", naming(task.source, error)
    except Exception as error:  # noqa: BLE001 - one bad file must not stop the batch
        record.status, record.error = "failed", naming(task.source, f"{type(error).__name__}: {error}")
    record.outputs = [str(t) for t in task.targets.values()] if record.status == "ok" else []
    record.bytes_out = sum(t.stat().st_size for t in task.targets.values() if t.exists()) \
        if record.status == "ok" else 0
    record.seconds = time.perf_counter() - start
    return record


def _threads_on_this_worker():
    """Kernel threads for a task that was given none (on Dask): the cores divided
    among the tasks this worker runs at once. Not OMP_NUM_THREADS, which Dask
    workers pin to 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        from distributed import get_worker
        slots = get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):  # not on a Dask worker
        slots = 1
    return max(1, cores // max(1, slots))


def local_executor(jobs):
    """A process pool of ``jobs`` workers; forkserver (or spawn), because forking a
    process whose OpenMP runtime has started is unsafe."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # Import once in the server, not in every worker (about 0.5 s each). Importing
        # loads the OpenMP runtime but starts no threads, so forking from it is safe.
        # The server imports with the current folder first on sys.path (Python 3.11
        # sets the parent's path only later), so not from inside a source checkout,
        # where it would find the uncompiled kernels.
        if not (Path.cwd() / "quantize" / "_kernels.py").exists():
            context.set_forkserver_preload(["quantize.batch", "quantize.compress", "quantize.cutout"])
    else:
        context = multiprocessing.get_context("spawn")
    # When this process is killed, the resource tracker it starts cleans up the pool's
    # semaphores and warns about each; the cleanup is the point, not the warning,
    # which would reach the user raw. The tracker takes its -W options from these.
    if TRACKER_WARNING not in sys.warnoptions:
        sys.warnoptions.append(TRACKER_WARNING)
    # Each task carries its thread count (cores // jobs), so workers x threads <= cores.
    # Workers exit when this process dies, even by kill -9 (see _lifetime).
    return futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                       initializer=_lifetime.watch_starter, initargs=(os.getpid(),))


def threads_per_worker(jobs, threads=None):
    """OpenMP threads for each of ``jobs`` workers so that their product fits the cores."""
    if threads is not None:
        return threads
    return max(1, resolve_n_threads(None) // jobs)


def run_tasks(tasks, make_executor):
    """Run every task on an executor from ``make_executor(n_workers)``; yield Records
    as they complete.

    When a process pool breaks (a worker died: a crash, the OOM killer), the
    tasks it lost are resubmitted to a new pool; if that breaks too, each lost
    task runs alone in its own pool, so only the file that kills its worker fails.
    """
    lost = yield from _run_pool(tasks, make_executor(None))
    if lost:
        lost = yield from _run_pool(lost, make_executor(None))
    for task in lost:
        if (yield from _run_pool([task], make_executor(1))):
            yield Record(str(task.source), "failed", f"{task.source}: the worker process died on this file")


def _run_pool(tasks, executor):
    """Yield the Records of ``tasks``; return the tasks lost to a broken pool."""
    lost = []
    try:
        running = {executor.submit(run_task, task): task for task in tasks}
        for future in futures.as_completed(running):
            task = running[future]
            try:
                yield future.result()
            except futures.process.BrokenProcessPool:
                lost.append(task)
            except Exception as error:  # noqa: BLE001 - a cluster task that raised
                yield Record(str(task.source), "failed", f"{task.source}: {type(error).__name__}: {error}")
    finally:
        try:  # on an interrupt, drop what has not started
            executor.shutdown(wait=True, cancel_futures=True)
        except TypeError:  # Dask's executor has no cancel_futures
            executor.shutdown(wait=True)
    return lost


# Pixels drawn from each file to learn a shared palette: enough for 256 colors,
# small enough that thousands of files never sit in memory together.
SHARED_SAMPLE = 65_536


def sample_colors(path, n_samples, seed, max_pixels=None):
    """Distinct colors and counts of up to ``n_samples`` visible pixels drawn from
    one image (every frame of an animation), and whether it has fully transparent
    pixels; or the reason it cannot be read (it fails again, alone, in the remap)."""
    import numpy as np

    from .animation import load_frames
    from .histogram import color_histogram
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # said once, by the file's own task
            frames = load_frames(path, max_pixels=max_pixels).pixels
    except QuantizeError as error:
        return naming(path, error)
    pixels = np.concatenate([f.reshape(-1, f.shape[2]) for f in frames])
    transparent = pixels[:, 3] == 0 if pixels.shape[1] == 4 else np.zeros(len(pixels), bool)
    pixels = np.ascontiguousarray(pixels[~transparent, :3])
    if len(pixels) > n_samples:
        pixels = pixels[np.random.default_rng(seed).choice(len(pixels), n_samples, replace=False)]
    if len(pixels) == 0:
        return np.zeros((0, 3), np.uint8), np.zeros(0, np.int64), bool(transparent.any())
    histogram = color_histogram(pixels[None], 1)
    return histogram.colors, histogram.counts, bool(transparent.any())


def learn_shared_palette(paths, n_colors, *, space="oklab", random_state=0, max_pixels=None,
                         n_samples=SHARED_SAMPLE, executor=None):
    """One palette for a set of images: weighted k-means on the pooled samples.

    With transparency in any image, one color fewer is learned: the remap of a
    transparent image adds a transparent entry, so no file holds more than
    ``n_colors``.

    Workers of ``executor`` (a process pool or a Dask executor; default: this
    process) draw each file's pixel sample and return its distinct colors with
    counts; here they add up in one table of every 8-bit color (128 MB however
    many files there are), and the palette is fitted on it as on one image's
    histogram. A sum does not depend on the order files arrive in, so neither does
    the palette. Returns (palette (n, 3) uint8, proportions (n,)).
    """
    import numpy as np

    from ._parallel import resolve_n_threads
    from ._validation import check_random_state
    from .compress import _check_n_colors, learn_palette
    from .features import colors_to_features
    from .histogram import ColorHistogram, color_codes, colors_of_codes
    n_colors = _check_n_colors(n_colors)
    seed = 0 if random_state is None else random_state
    arguments = ([Path(p) for p in paths], [n_samples] * len(paths), [(seed, i) for i in range(len(paths))],
                 [max_pixels] * len(paths))
    samples = executor.map(sample_colors, *arguments) if executor is not None else map(sample_colors, *arguments)
    pooled = np.zeros(1 << 24, dtype=np.int64)  # pixels drawn, per 8-bit RGB color
    unreadable, transparency = [], False
    for sample in samples:
        if isinstance(sample, str):
            unreadable.append(sample)
        else:
            colors, counts, transparent = sample
            pooled[color_codes(colors)] += counts  # a sample lists each color once
            transparency |= transparent
    if transparency:  # the remap adds a transparent entry: n_colors in all
        n_colors = max(1, n_colors - 1)
    codes = np.flatnonzero(pooled)
    if codes.size == 0:
        raise InputError(f"no readable image to learn a shared palette from ({unreadable[0]})"
                         if unreadable else "no image to learn a shared palette from")
    histogram = ColorHistogram(colors_of_codes(codes), pooled[codes], np.empty(0, dtype=np.int32))
    features = colors_to_features(histogram.colors, space, np.float32)
    n_threads = resolve_n_threads(None)
    book = learn_palette(histogram, features, n_colors, space, check_random_state(random_state), n_threads)
    labels = book.encode_features(features, n_threads)
    weights = np.bincount(labels, weights=histogram.counts, minlength=len(book.palette))
    order = np.argsort(-weights, kind="stable")  # most used first, as every palette
    return book.palette[order], weights[order] / weights.sum()
