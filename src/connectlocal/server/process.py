"""The serve process's life outside the event loop: stop signals noted from before the ready
line, and workers that end when the process that forked them does."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from types import FrameType

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_stop = False


def _note_stop(signum: int, frame: FrameType | None) -> None:
    global _stop
    _stop = True


def note_stop_signals() -> None:
    """From now on SIGTERM and SIGINT only note that a stop was asked for: the server stops as
    soon as its loop runs (``stop_requested``), and a Ctrl-C while it starts is no traceback."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _note_stop)


def stop_requested() -> bool:
    return _stop


def end_with_parent(parent: int) -> None:
    """In a forked worker: have the kernel send SIGTERM when the parent dies (Linux's
    PR_SET_PDEATHSIG), so a ``kill -9`` of the parent leaves no worker serving its port. The
    server also checks ``os.getppid()`` every second (other systems, and a parent gone before
    this call)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        _note_stop(signal.SIGTERM, None)
