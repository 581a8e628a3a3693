"""What ``compress`` and ``segment`` share to run over many files: input
discovery, the output plan's decisions turned into tasks, the executor, progress,
messages and the report."""
import concurrent.futures as futures
import csv
import io
import json
import logging
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import click

from quantize.batch.discovery import discover
from quantize.batch.outputs import SKIP_HINT, make_folder_for, name_for, place
from quantize.batch.runners import local_executor, run_tasks, threads_per_worker
from quantize.batch.tasks import Record, Task, remove_stale_temporaries
from quantize.compress.formats import OUTPUT_FORMATS, extension_of
from quantize.errors import UsageError
from quantize.io import write_atomically
from quantize.segment.confidence import MIN_CONFIDENCE, short_of

from .options import Whole, skip_existing_option

log = logging.getLogger("quantize")


def batch_options(function):
    options = [
        click.option("-r", "--recursive", is_flag=True, help="Descend into sub-folders of folder inputs."),
        skip_existing_option,
        click.option("-j", "--jobs", type=Whole(min=1), default=None,
                     help="Worker processes [default: the usable cores]."),
        click.option("--scheduler", default=None, metavar="ADDRESS", envvar="DASK_SCHEDULER_ADDRESS",
                     help="Run on this Dask scheduler (tcp://host:port) instead of local processes "
                          "[env: DASK_SCHEDULER_ADDRESS]. Needs pip install 'quantize[dask]'."),
        click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Write one row per file (status, error, sizes, seconds, ...) as .json or .csv."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def tasks_for(command, sources, plans, settings, output_plan):
    """A Task for each source to run and a Record for each one skipped, by the
    output plan's one rule."""
    tasks, settled = [], []
    for source, targets in zip(sources, plans):
        decision = output_plan.decide(source.path, list(targets.values()))
        if decision.action == "skip":
            settled.append(Record(str(source.path), "skipped", decision.message,
                                  outputs=[str(t) for t in targets.values()]))
        else:
            tasks.append(Task(command, source.path, targets, settings, decision.overwrite))
    return tasks, settled


def claim_report(plan, report):
    """The --report path, checked like every output; its format from its extension."""
    if report is None:
        return None
    report = plan.claim(report)
    if report.suffix.lower() not in (".json", ".csv"):
        raise UsageError(f"{report}: a report is written as .json or .csv; name it so")
    return report


class _InProcess(futures.Executor):
    """``--jobs 1``: the same per-file worker, run in this process."""

    def submit(self, fn, *args):
        future = futures.Future()
        future.set_result(fn(*args))
        return future

    def map(self, fn, *iterables):
        return map(fn, *iterables)


class Runner:
    """Where the work runs: this process (--jobs 1), a local process pool, or Dask."""

    def __init__(self, jobs, threads, scheduler):
        self.client = _dask_client(scheduler) if scheduler else None
        self.jobs = jobs or threads_per_worker(1)  # default: one worker per usable core
        # On Dask, workers use their own cores (None); locally, cores / jobs each.
        self.threads = threads if self.client else threads_per_worker(self.jobs, threads)

    def executor(self, n_workers=None, n_tasks=2):
        if self.client is not None:
            return self.client.get_executor()
        if self.jobs == 1 or n_tasks <= 1:
            return _InProcess()
        return local_executor(n_workers or self.jobs)

    def close(self):
        if self.client is not None:
            self.client.close()


def execute(tasks, settled, *, runner, report, quiet):
    """Run the tasks, show progress, print the summary, write the report; exit 1 if any failed."""
    started = time.perf_counter()
    remove_stale_temporaries(t for task in tasks for t in task.targets.values())
    new_folders = _folders_to_be_made(tasks)
    tasks = [replace(t, n_threads=runner.threads) for t in tasks]
    make_executor = lambda n_workers: runner.executor(n_workers, len(tasks))  # noqa: E731
    records = list(settled)
    for record in settled:
        report_record(record)
    show = not quiet and sys.stderr.isatty()
    try:
        with click.progressbar(length=len(tasks), label="quantize", file=sys.stderr,
                               hidden=not show) as bar:
            for record in run_tasks(tasks, make_executor):
                records.append(record)
                report_record(record)
                bar.update(1)
    finally:
        runner.close()
        _remove_empty(new_folders)
    records.sort(key=lambda r: r.source)
    _summary(records, time.perf_counter() - started, quiet)
    if report is not None:
        _write_report(records, report)
    if any(r.status == "failed" for r in records):
        raise click.exceptions.Exit(1)


def _folders_to_be_made(tasks):
    """The output folders that do not exist yet, deepest first."""
    missing = set()
    for task in tasks:
        for target in task.targets.values():
            folder = Path(target).parent
            while not folder.exists() and folder != folder.parent:
                missing.add(folder)
                folder = folder.parent
    return sorted(missing, key=lambda f: len(f.parts), reverse=True)


def _remove_empty(folders):
    """Remove the folders this run made and left empty (every file of theirs
    failed), deepest first; a folder holding anything stays."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty, or already gone
            pass


def report_record(record):
    """One line per message: errors and warnings always, the rest with -v."""
    for warning in record.warnings:
        log.warning("warning: %s", warning)
    if record.status == "failed":
        log.error("Error: %s", record.error)
    elif record.status == "skipped":
        log.info("%s", record.error)
    elif record.confidence is not None:
        # Not rounded up to the line a cut kept with --min-confidence 0 is short of.
        log.info("%s: done (confidence %s)", record.source, short_of(record.confidence, MIN_CONFIDENCE))
    elif record.colors is not None and record.psnr is not None:
        log.info("%s: done (%s, %.1f dB)", record.source, plural(record.colors, "color"), record.psnr)
    else:
        log.info("%s: done", record.source)


def plural(count, noun):
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _dask_client(address):
    try:
        from distributed import Client
    except ImportError:
        raise click.UsageError("--scheduler needs Dask: pip install 'quantize[dask]'") from None
    try:
        return Client(address, timeout="10s")
    except ValueError as error:  # not an address at all
        raise click.BadParameter(f"{address!r} is not a scheduler address like tcp://host:8786 ({error})",
                                 param_hint="'--scheduler'") from None
    except (OSError, TimeoutError) as error:
        raise click.ClickException(f"cannot reach the Dask scheduler at {address}: {error}") from None
    except Exception as error:  # noqa: BLE001 - something answered that is not a Dask scheduler
        message = " ".join(str(error).split())[:200]
        raise click.ClickException(f"{address} did not answer as a Dask scheduler "
                                   f"({type(error).__name__}: {message})") from None


def _summary(records, seconds, quiet):
    count = {status: sum(r.status == status for r in records) for status in ("ok", "skipped", "failed")}
    bytes_in = sum(r.bytes_in for r in records)
    bytes_out = sum(r.bytes_out for r in records)
    skipped = f"{count['skipped']} skipped" + (f" (outputs exist; {SKIP_HINT})" if count["skipped"] else "")
    if not quiet:
        click.echo(f"{plural(len(records), 'file')}: {count['ok']} done, {skipped}, "
                   f"{count['failed']} failed; {_size(bytes_in)} in, {_size(bytes_out)} out; "
                   f"{seconds:.1f} s", err=True)


def _size(n_bytes):
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 1e6 else f"{n_bytes / 1e3:.0f} kB"


def _write_report(records, path):
    rows = [r.as_row() for r in records]
    if path.suffix.lower() == ".csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["source"])
        writer.writeheader()
        writer.writerows(rows)
        content = buffer.getvalue().encode()
    else:
        content = json.dumps(rows, indent=1).encode()
    write_atomically(make_folder_for(path), lambda f: f.write(content), overwrite=True)


def with_warnings_logged(function, *args):
    """``function(*args)``, its warnings (a pattern that matches nothing, earlier
    outputs left out) logged as one line each."""
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        result = function(*args)
    for warning in said:
        log.warning("warning: %s", warning.message)
    return result


# What a run of either command without output options writes beside each input:
# compress's NAME-quantized file, in any format it writes (--ext gif), and segment's
# mask and cutout, or label map.
BESIDE_OUTPUTS = (*(("-quantized", extension_of(fmt)) for fmt in OUTPUT_FORMATS),
                  ("-mask", "png"), ("-cutout", "png"), ("-labels", "png"))


def earlier_outputs_beside(sources):
    """Each source's BESIDE_OUTPUTS paths: a folder run leaves out those it finds,
    whichever command wrote them (segment over a folder cut out photo-quantized.png,
    compress compressed photo-mask.png)."""
    return [[place(s, None, name_for(s, sources, suffix, ext)) for suffix, ext in BESIDE_OUTPUTS] for s in sources]


def sources_or_fail(inputs, recursive):
    sources = with_warnings_logged(discover, inputs, recursive)
    if not sources:
        raise click.UsageError(f"no image files found in {', '.join(str(i) for i in inputs)}")
    return sources
