"""Run one per-file worker over many files: local processes or a Dask cluster.

Every execution path runs :func:`run_task` on a :class:`Task` and gets back a
:class:`Record`, so ``--jobs 1``, ``--jobs N`` and a cluster write the same
bytes. The loop submits tasks to a ``concurrent.futures``-style executor (a
process pool, or Dask's ``Client.get_executor()``) and collects them as they
complete; a process pool that breaks (a worker killed or crashed) is rebuilt and
the lost tasks are resubmitted, so one bad file costs only itself.
"""
import concurrent.futures as futures
import multiprocessing
import os
import sys
from concurrent.futures.process import BrokenProcessPool  # not loaded by `import concurrent.futures`
from pathlib import Path

from .. import _lifetime
from .._parallel import resolve_n_threads
from .tasks import Record, run_task

TRACKER_WARNING = "ignore:resource_tracker:UserWarning"


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
        if not (Path.cwd() / "quantize" / "kernels").is_dir():
            context.set_forkserver_preload(["quantize.batch.tasks", "quantize.compress.files",
                                            "quantize.segment.cutout"])
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
            except BrokenProcessPool:
                lost.append(task)
            except Exception as error:  # noqa: BLE001 - a cluster task that raised
                yield Record(str(task.source), "failed", f"{task.source}: {type(error).__name__}: {error}")
    finally:
        try:  # on an interrupt, drop what has not started
            executor.shutdown(wait=True, cancel_futures=True)
        except TypeError:  # Dask's executor has no cancel_futures
            executor.shutdown(wait=True)
    return lost
