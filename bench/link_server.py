"""Benchmark: the link server against nginx returning a fixed 302, both loaded by wrk on 127.0.0.1.

    python bench/link_server.py --links 1000000 --duration 15 --workers 2 --connections 192

A fresh database gets ``--links`` links (one route, published the way the routing package
publishes it); the newest ``--hot`` of them are the wave being clicked. wrk requests a random
hot code per request from one browser user agent, with the same threads, connections and
duration against both servers:

- nginx (Debian's package; the physical limit here): ``return 302`` to a fixed URL;
- the link server (``campaign serve``), each click committed before its redirect is answered;
- for scale, the same Granian serving the two apps in ``bench/asgi_redirect.py``: one answers a
  fixed 302 and does nothing else, the ceiling for any Python ASGI app here; the other answers
  it only after a 2 ms shared wait per batch of requests, the shape of a group commit with no
  database behind it (``--no-floor`` leaves both out).

A Lua script counts the statuses wrk received. ``clicks_lost`` is redirects received minus
click rows committed (when positive): a redirect answered for a click that was not stored.
``clicks_unanswered`` is the other way round: clicks committed whose response wrk gave up on
when its clock ran out. The last line printed is one JSON object with the figures.

Needs ``nginx`` and ``wrk`` on PATH (``apt-get install nginx-light wrk``); says so and stops if
either is missing. Uses ``CAMPAIGN_DATABASE_URL``'s server, else the embedded PostgreSQL; the
benchmark database is dropped afterwards unless ``--keep-database``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url
from thread_cpu import CpuMeter, CpuShare

from campaign_pipelines.db import migrate
from campaign_pipelines.db.server import ensure_database, libpq_url, server_url
from campaign_pipelines.linkserver.process import free_port, link_server_process
from campaign_pipelines.routing.codes import new_codes

DESTINATION = "https://example.org/donate"
USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
STARTUP_TIMEOUT_SECONDS = 60.0
# The reference apps in bench/asgi_redirect.py: JSON name, ASGI app, label printed.
FLOOR_APPS = (("bare_asgi", "app"), ("waiting_asgi", "waiting_app"))
FLOOR_LABELS = {"bare_asgi": "bare ASGI 302", "waiting_asgi": "ASGI 302 after wait"}

WRK_SCRIPT = """
-- Random hot codes; per-thread status counts summed in done().
local thread_count = 0
local threads = {}

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  table.insert(threads, thread)
end

function init(args)
  local codes = {}
  for line in io.lines(args[1]) do codes[#codes + 1] = line end
  math.randomseed(os.time() * 1000 + id)
  local headers = {["User-Agent"] = args[2]}
  -- Formatted once, so that wrk spends its time sending, not building requests.
  requests = {}
  for i = 1, 20000 do
    requests[i] = wrk.format("GET", "/" .. codes[math.random(#codes)], headers)
  end
  sent = 0
  statuses = {}
end

function request()
  sent = sent % #requests + 1
  return requests[sent]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[tostring(status)] = (total[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do parts[#parts + 1] = string.format('"%s": %d', status, n) end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"socket_errors": %d, "statuses": {%s}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ", ")))
end
"""

NGINX_CONF = """
worker_processes {workers};
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  server {{
    listen 127.0.0.1:{port} reuseport backlog=2048;
    location / {{ return 302 {destination}; }}
  }}
}}
"""


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    missing = [tool for tool in ("nginx", "wrk") if shutil.which(tool) is None]
    if missing:
        print(
            f"missing {' and '.join(missing)}: install with `apt-get install nginx-light wrk`;"
            " the comparison needs both, so nothing was measured",
            file=sys.stderr,
        )
        print(json.dumps({"error": "missing tools", "missing": missing}))
        return 2

    with tempfile.TemporaryDirectory(prefix="bench-link-server-") as tmp:
        folder = Path(tmp)
        with fresh_database(keep=args.keep_database) as url:
            started = time.perf_counter()
            hot = load_links(url, args.links, args.hot)
            print(f"{args.links:,} links loaded in {time.perf_counter() - started:.1f} s")
            codes_file = folder / "codes.txt"
            codes_file.write_text("\n".join(hot) + "\n")
            script = folder / "clicks.lua"
            script.write_text(WRK_SCRIPT)
            wrk = WrkSettings(args.threads, args.connections, script, codes_file)

            with running_nginx(folder, workers=args.workers) as nginx_url:
                run_wrk(wrk, nginx_url, seconds=args.warmup)
                nginx = run_wrk(wrk, nginx_url, seconds=args.duration)
            floors: dict[str, WrkResult] = {}
            for name, app in [] if args.no_floor else FLOOR_APPS:
                with running_asgi_redirect(app, workers=args.workers) as floor_url:
                    run_wrk(wrk, floor_url, seconds=args.warmup)
                    floors[name] = run_wrk(wrk, floor_url, seconds=args.duration)
            before = count_clicks(url)
            with running_link_server(folder, url, args) as server_url_:
                warm = run_wrk(wrk, server_url_, seconds=args.warmup)
                ours = run_wrk(wrk, server_url_, seconds=args.duration)
            committed = count_clicks(url) - before

    redirects = warm.redirects + ours.redirects
    report(args, nginx, ours, floors, committed=committed, redirects=redirects)
    return 0


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run saw, from the Lua script's summary line."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    statuses: dict[int, int]
    cpu: CpuShare | None = None

    @classmethod
    def from_summary(cls, data: dict) -> WrkResult:
        return cls(
            requests=data["requests"],
            seconds=data["duration_us"] / 1e6,
            p50_ms=data["p50_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            socket_errors=data["socket_errors"],
            statuses={int(status): n for status, n in data["statuses"].items()},
        )

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def redirects(self) -> int:
        return self.statuses.get(302, 0)

    @property
    def other(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != 302)


@dataclass(frozen=True)
class WrkSettings:
    threads: int
    connections: int
    script: Path
    codes: Path


def run_wrk(settings: WrkSettings, base_url: str, *, seconds: int) -> WrkResult:
    command = [
        "wrk", f"-t{settings.threads}", f"-c{settings.connections}", f"-d{seconds}s",
        "--timeout", "5s", "-s", str(settings.script), base_url + "/",
        "--", str(settings.codes), USER_AGENT,
    ]  # fmt: skip
    meter = CpuMeter()
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    for line in completed.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            result = WrkResult.from_summary(json.loads(line.removeprefix("WRK_RESULT ")))
            return dataclasses.replace(result, cpu=meter.share(result.requests))
    raise RuntimeError(f"wrk printed no result; its output was:\n{completed.stdout}")


def report(
    args,
    nginx: WrkResult,
    ours: WrkResult,
    floors: dict[str, WrkResult],
    *,
    committed: int,
    redirects: int,
) -> None:
    print(
        f"wrk: {args.threads} thread(s), {args.connections} connections, {args.duration} s;"
        f" {args.workers} worker(s) each"
    )
    rows = [("nginx", nginx), *((FLOOR_LABELS[name], floor) for name, floor in floors.items())]
    for name, result in [*rows, ("link server", ours)]:
        print(
            f"{name:>19}: {result.rps:10,.0f} req/s   p50 {result.p50_ms:6.2f} ms"
            f"   p99 {result.p99_ms:6.2f} ms   non-302 {result.other}"
            f"   socket errors {result.socket_errors}"
        )
        if result.cpu is not None:
            print(f"{'':>21}{result.cpu.describe()}")
    lost = max(0, redirects - committed)
    unanswered = max(0, committed - redirects)
    print(
        f"clicks committed: {committed:,}; redirects received: {redirects:,};"
        f" lost: {lost}; committed but not seen by wrk at its cut-off: {unanswered}"
    )
    ratio = ours.rps / nginx.rps if nginx.rps else 0.0
    floor_figures = {}
    for name, floor in floors.items():
        floor_figures[f"{name}_rps"] = round(floor.rps)
        floor_figures[f"{name}_ratio_vs_nginx"] = (
            round(floor.rps / nginx.rps, 3) if nginx.rps else 0.0
        )
    print(
        json.dumps(
            {
                "links": args.links,
                "hot_links": args.hot,
                "workers": args.workers,
                "server": args.server,
                "nginx_rps": round(nginx.rps),
                "nginx_p50_ms": round(nginx.p50_ms, 2),
                "nginx_p99_ms": round(nginx.p99_ms, 2),
                "server_rps": round(ours.rps),
                "server_p50_ms": round(ours.p50_ms, 2),
                "server_p99_ms": round(ours.p99_ms, 2),
                "server_non_302": ours.other,
                **floor_figures,
                "clicks_committed": committed,
                "redirects_received": redirects,
                "clicks_unanswered": unanswered,
                "server_cpu_us_per_request": (
                    {group: round(us, 1) for group, us in ours.cpu.per_request_us.items()}
                    if ours.cpu is not None
                    else None
                ),
                "ratio_vs_nginx": round(ratio, 3),
                "clicks_lost": lost,
            }
        )
    )


@contextmanager
def fresh_database(*, keep: bool) -> Iterator[str]:
    name = f"bench_link_server_{secrets.token_hex(4)}"
    url = make_url(server_url()).set(database=name).render_as_string(hide_password=False)
    ensure_database(url)
    migrate.upgrade(url)
    try:
        yield libpq_url(url)
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            admin = libpq_url(
                make_url(url).set(database="postgres").render_as_string(hide_password=False)
            )
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def load_links(url: str, count: int, hot: int) -> list[str]:
    """``count`` links on one published route; the ``hot`` newest codes are returned."""
    codes = list(dict.fromkeys(new_codes(count).tolist()))  # a repeat is 1 in ~10^10 here
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO link_policy (policy_id, base_url, allowed_domains, timezone, state)"
            " VALUES (1, 'https://links.example.org', ARRAY['example.org'], 'America/New_York',"
            " 'NC')"
        )
        conn.execute(
            "INSERT INTO routes (route, rules, fallback_key, utm)"
            " VALUES ('donate', '[]', 'donate:fallback', '{\"utm_source\": \"sms\"}')"
        )
        conn.execute(
            "INSERT INTO destinations (destination_key, kind, url, source)"
            " VALUES ('donate:fallback', 'page', %s, 'bench')",
            (DESTINATION,),
        )
        with (
            conn.cursor() as cur,
            cur.copy("COPY links (code, wave_id, voter_id, route, utm) FROM STDIN") as copy,
        ):
            for start in range(0, len(codes), 100_000):
                buffer = io.StringIO()
                for i, code in enumerate(codes[start : start + 100_000], start):
                    buffer.write(f'{code}\tbench\tV{i:08d}\tdonate\t{{"utm_source": "sms"}}\n')
                copy.write(buffer.getvalue())
        conn.execute("ANALYZE links")
    return codes[-hot:]


def count_clicks(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM clicks").fetchone()
    return int(row[0]) if row else 0


@contextmanager
def running_nginx(folder: Path, *, workers: int) -> Iterator[str]:
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(workers=workers, folder=folder, port=port, destination=DESTINATION)
    )
    process = subprocess.Popen(
        ["nginx", "-c", str(conf), "-p", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/probe", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=30)


@contextmanager
def running_asgi_redirect(app: str, *, workers: int) -> Iterator[str]:
    """An app of ``bench/asgi_redirect.py`` under Granian, with ``campaign serve``'s settings."""
    port = free_port()
    command = [
        sys.executable, "-m", "granian", "--interface", "asgi", "--workers", str(workers),
        "--loop", "uvloop", "--http", "1", "--no-ws", "--backlog", "2048", "--no-access-log",
        "--log-level", "warning", "--host", "127.0.0.1", "--port", str(port),
        "--working-dir", str(Path(__file__).resolve().parent), f"asgi_redirect:{app}",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/probe", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):  # it may have failed to start
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@contextmanager
def running_link_server(folder: Path, url: str, args) -> Iterator[str]:
    env = {
        **os.environ,
        "CAMPAIGN_DATABASE_URL": url,
        "LINK_IP_HASH_KEY": secrets.token_urlsafe(32),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "PUBLIC_BASE_URL": "https://links.example.org",
        "LINK_SPOOL_DIR": str(folder / "spool"),
        "LINK_CACHE_WARM": str(args.hot),
        "LINK_GROUP_COMMIT_MAX_DELAY_MS": str(args.max_delay_ms),
        "LINK_GROUP_COMMIT_CONCURRENCY": str(args.commit_concurrency),
    }
    log_path = folder / "server.log"
    try:
        with link_server_process(
            env, workers=args.workers, server=args.server, log_path=log_path
        ) as server:
            yield server.base_url
    finally:
        if args.verbose:
            print(log_path.read_text())


def _wait_for_http(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode} at start-up")
        try:
            httpx.get(url, timeout=1.0, trust_env=False)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {STARTUP_TIMEOUT_SECONDS:g} s")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=1_000_000)
    parser.add_argument("--hot", type=int, default=100_000, help="codes wrk picks from")
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per server")
    parser.add_argument("--warmup", type=int, default=3, help="seconds before each measurement")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--connections", type=int, default=192, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="server and nginx workers")
    parser.add_argument("--server", choices=("granian", "uvicorn"), default="granian")
    parser.add_argument("--max-delay-ms", type=float, default=0.0, help="group-commit wait")
    parser.add_argument("--commit-concurrency", type=int, default=8, help="batches in flight")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--no-floor", action="store_true", help="leave out the two ASGI floors")
    parser.add_argument("--verbose", action="store_true", help="print the server's log")
    args = parser.parse_args(argv)
    args.hot = min(args.hot, args.links)
    return args


if __name__ == "__main__":
    sys.exit(main())
