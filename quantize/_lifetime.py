"""Worker processes that end with the process that started them.

A batch's worker runs in a process pool; if the main process is killed (kill -9,
the OOM killer), nothing tells the pool's processes, and they would go on writing
outputs nobody waits for. Each worker watches its starter: a thread checks every
POLL_SECONDS, and every write checks once more just before its output appears.
"""
import os
import threading
import time

POLL_SECONDS = 0.1

_starter = None  # (pid, identity) of the process this worker serves, else None


def _identity(pid):
    """What tells this process from a later one with the same pid: its start time
    on Linux (field 22 of /proc/PID/stat); None if it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except FileNotFoundError:
        return None
    except OSError:  # no /proc: fall back to asking the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return b"alive"
    if fields[0] in (b"Z", b"X"):
        return None
    return fields[19]


def watch_starter(pid):
    """Exit this process at once when process ``pid`` ends (a pool initializer)."""
    global _starter
    _starter = (pid, _identity(pid))
    threading.Thread(target=_watch, name="quantize-watch-starter", daemon=True).start()


def _watch():
    while True:
        exit_if_orphaned()
        time.sleep(POLL_SECONDS)


def exit_if_orphaned():
    """In a worker whose starter has ended, stop now: write nothing more."""
    if _starter is not None and _identity(_starter[0]) != _starter[1]:
        os._exit(1)
