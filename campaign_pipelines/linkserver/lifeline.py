"""A server worker stops when the server's main process is gone.

The ASGI server's main process watches its workers and respawns one that dies; nothing watches
the main process. If it is killed outright (SIGKILL, the OOM killer), its workers would keep
serving as orphans: holding the port, so that a restarted ``campaign serve`` cannot bind it,
and writing clicks nobody will stop or drain. On Linux each worker asks the kernel for SIGTERM
when its parent dies, which the ASGI server handles as a graceful stop: pending clicks are
committed (or spooled) before the worker exits.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def stop_with_parent() -> bool:
    """In a worker process (a multiprocessing child), ask for SIGTERM when the parent dies.

    Returns whether it was arranged. A server running in a single process (no parent of ours
    to outlive) and systems other than Linux are left as they are.
    """
    if multiprocessing.parent_process() is None or not sys.platform.startswith("linux"):
        return False
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        log.warning(
            "could not ask to stop with the server's main process (errno %d)", ctypes.get_errno()
        )
        return False
    if os.getppid() != parent:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)
    return True
