"""What ``compress`` and ``segment`` share to run over many files: input
discovery, output naming, skip/overwrite, the executor, progress and the report."""
import concurrent.futures as futures
import csv
import io
import json
import logging
import os
import sys
import time
from pathlib import Path

import click

from quantize.batch import (Record, Task, discover, local_executor, plan_outputs,
                            remove_stale_temporaries, run_tasks, threads_per_worker)
from quantize.errors import QuantizeError
from quantize.io import write_atomically

log = logging.getLogger("quantize")


def batch_options(function):
    options = [
        click.option("-r", "--recursive", is_flag=True, help="Descend into sub-folders of folder inputs."),
        click.option("--skip-existing/--overwrite", "skip_existing", default=True, show_default=True,
                     help="Skip inputs whose outputs all exist (resume a run), or redo and replace them."),
        click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
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


def resolve_output_dir(inputs, output, sources):
    """``-o`` names a folder when it is one, ends with a slash, has no extension,
    or when the inputs are several files, folders or patterns."""
    if output is None:
        return None
    several = len(sources) > 1 or any(Path(i).is_dir() for i in inputs) or len(inputs) > 1
    if output.is_dir() or str(output).endswith(os.sep) or not output.suffix or several:
        return output
    return None


def name_for(source, sources, suffix, ext):
    """``STEM{suffix}.{ext}``; when two inputs in one folder share a stem
    (photo.jpg, photo.png), their source extension stays in the name."""
    stem = source.relative.stem
    shared = sum(1 for s in sources if s.relative.parent == source.relative.parent and s.relative.stem == stem)
    if shared > 1:
        stem = source.relative.name
    return f"{stem}{suffix}.{ext}"


def build_tasks(command, sources, plans, options, skip_existing):
    """Tasks for the files to run and Records for the ones skipped or refused."""
    tasks, settled = [], []
    for source, targets in zip(sources, plans):
        path = source.path
        if any(t.exists() and path.exists() and t.resolve() == path.resolve() for t in targets.values()) \
                and not options.get("in_place"):
            settled.append(Record(str(path), "failed", f"{path}: an output would replace the input; "
                                  "choose another -o or pass --in-place"))
            continue
        existing = [t for t in targets.values() if t.exists()]
        if skip_existing and existing and len(existing) == len(targets) and not options.get("in_place"):
            settled.append(Record(str(path), "skipped", outputs=[str(t) for t in targets.values()]))
            continue
        # Outputs only ever appear complete (atomic rename), so a partly written set
        # is from an interrupted run of ours: redo it.
        task_options = {k: v for k, v in options.items() if k != "in_place"}
        task_options["overwrite"] = bool(existing)
        tasks.append(Task(command, path, targets, task_options))
    return tasks, settled


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
    tasks = [Task(t.command, t.source, t.targets, t.options, runner.threads) for t in tasks]
    make_executor = lambda n_workers: runner.executor(n_workers, len(tasks))  # noqa: E731
    records = list(settled)
    for record in settled:
        if record.status == "failed":
            log.error("Error: %s", record.error)
    show = not quiet and sys.stderr.isatty()
    try:
        with click.progressbar(length=len(tasks), label="quantize", file=sys.stderr,
                               hidden=not show) as bar:
            for record in run_tasks(tasks, make_executor):
                records.append(record)
                if record.status == "failed":
                    log.error("Error: %s", record.error)
                else:
                    log.info("%s: %s", record.source, record.status)
                bar.update(1)
    finally:
        runner.close()
    records.sort(key=lambda r: r.source)
    _summary(records, time.perf_counter() - started, quiet)
    if report is not None:
        _write_report(records, report)
    if any(r.status == "failed" for r in records):
        raise click.exceptions.Exit(1)


def _dask_client(address):
    try:
        from distributed import Client
    except ImportError:
        raise click.UsageError("--scheduler needs Dask: pip install 'quantize[dask]'") from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError) as error:
        raise click.ClickException(f"cannot reach the Dask scheduler at {address}: {error}") from None


def _summary(records, seconds, quiet):
    count = {status: sum(r.status == status for r in records) for status in ("ok", "skipped", "failed")}
    bytes_in = sum(r.bytes_in for r in records)
    bytes_out = sum(r.bytes_out for r in records)
    if not quiet:
        click.echo(f"{len(records)} files: {count['ok']} done, {count['skipped']} skipped, "
                   f"{count['failed']} failed; {bytes_in / 1e6:.1f} MB in, {bytes_out / 1e6:.1f} MB out; "
                   f"{seconds:.1f} s", err=True)


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
    write_atomically(path, lambda f: f.write(content), overwrite=True)


def sources_or_fail(inputs, recursive):
    sources = discover(inputs, recursive)
    if not sources:
        raise click.UsageError("no image files found in the inputs")
    return sources


def plan_or_fail(sources, output_dir, name_of):
    try:
        return plan_outputs(sources, output_dir, name_of)
    except QuantizeError as error:
        raise click.UsageError(str(error)) from None

