"""One file's work: a Task in, a Record out, from any process; warnings named by file."""
import contextlib
import glob
import time
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .._parallel import usable_cores
from ..errors import QuantizeError, naming
from .outputs import make_folder_for


@dataclass(frozen=True)
class Task:
    """One file's work: ``command`` ("compress" or "segment") from ``source`` to
    ``targets`` (keyword -> path) by ``settings`` (CompressSettings or
    SegmentSettings); ``overwrite`` replaces existing targets."""
    command: str
    source: Path
    targets: dict
    settings: object
    overwrite: bool = False
    n_threads: int | None = None

    def with_settings(self, **changes):
        return replace(self, settings=replace(self.settings, **changes))


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
    confidence: float | None = None

    def as_row(self):
        row = asdict(self)
        row["outputs"] = ";".join(self.outputs)
        row["warnings"] = ";".join(self.warnings)
        return row


def remove_stale_temporaries(targets):
    """Delete temporary files a killed run left beside these targets."""
    for target in targets:
        for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
            stale.unlink(missing_ok=True)




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
    from ..compress.files import compress_file
    from ..segment.cutout import segment_file
    start = time.perf_counter()
    record = Record(str(task.source), "ok")
    n_threads = task.n_threads or _threads_on_this_worker()
    try:
        with warnings_of(task.source, record.warnings):
            record.bytes_in = task.source.stat().st_size if task.source.exists() else 0
            for target in task.targets.values():
                make_folder_for(target)
            if task.command == "compress":
                result = compress_file(task.source, settings=task.settings, overwrite=task.overwrite,
                                       n_threads=n_threads, **task.targets)
                record.colors, record.psnr, record.mse = result.n_colors, result.psnr, result.mse
            else:
                result = segment_file(task.source, task.settings, overwrite=task.overwrite, n_threads=n_threads,
                                      **task.targets)
                record.foreground_fraction = result.foreground_fraction
                record.confidence = result.confidence
                record.colors = result.n_regions
    except QuantizeError as error:
        record.status, record.error = "failed", naming(task.source, error)
        record.confidence = getattr(error, "confidence", None)  # of a cut refused as unsure
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
    cores = usable_cores()
    try:
        from distributed import get_worker
        slots = get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):  # not on a Dask worker
        slots = 1
    return max(1, cores // max(1, slots))
