"""Where the machine's CPU went during a load run, per request, by kind of thread (Linux only).

Reads every thread's user and system time from ``/proc`` before and after a run and groups it
by the thread's name: nginx, PostgreSQL (every ``postgres`` process, the WAL writer included),
the ASGI server's Rust I/O threads (``tokio-*``), and Python threads (the workers' event loops
and Granian's scheduler thread). wrk has exited by the time the run is over, so its share comes
from the benchmark's finished children instead. Dividing by the requests served gives each
group's microseconds of CPU per request: what has to fit in the cores for a given rate.
"""

from __future__ import annotations

import os
import resource
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
GROUPS = (
    ("nginx", "nginx"),
    ("postgres", "PostgreSQL"),
    ("tokio", "server I/O threads"),
    ("python", "Python threads"),
)


def thread_ticks() -> Counter[str] | None:
    """Clock ticks of CPU used so far, summed by group; None where ``/proc`` is not Linux's."""
    if not (PROC / "self" / "task").is_dir():
        return None
    ticks: Counter[str] = Counter()
    for stat in PROC.glob("[0-9]*/task/[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the thread ended between listing and reading
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        ticks[_group(name)] += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks


def _group(thread_name: str) -> str:
    for prefix, label in GROUPS:
        if thread_name.startswith(prefix):
            return label
    return "other"


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class CpuShare:
    """CPU per request by group over one run, and how busy the machine was."""

    per_request_us: dict[str, float]
    busy_cores: float

    def describe(self) -> str:
        parts = ", ".join(f"{group} {us:.1f}" for group, us in self.per_request_us.items())
        return f"CPU µs per request: {parts}; busy {self.busy_cores:.2f} of {os.cpu_count()} cores"


class CpuMeter:
    """Started just before a run; ``share`` once the load generator (a child) has exited."""

    def __init__(self, load_generator: str = "wrk") -> None:
        self._name = load_generator
        self._ticks = thread_ticks()
        self._children = _children_seconds()
        self._started = time.perf_counter()

    def share(self, requests: int) -> CpuShare | None:
        after = thread_ticks()
        if self._ticks is None or after is None:
            return None
        seconds = time.perf_counter() - self._started
        per_tick = 1 / os.sysconf("SC_CLK_TCK")
        used = {group: (after[group] - self._ticks[group]) * per_tick for group in after}
        used[self._name] = _children_seconds() - self._children
        per_request = {
            group: 1e6 * cpu_seconds / max(1, requests)
            for group, cpu_seconds in sorted(used.items(), key=lambda item: -item[1])
            if cpu_seconds / seconds >= 0.01
        }
        return CpuShare(per_request, busy_cores=sum(used.values()) / seconds)
