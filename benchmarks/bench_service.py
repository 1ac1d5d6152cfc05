"""The service under load (architecture §5 "Service", issue 16): ``make bench-service``.

What it does, in one run, on 127.0.0.1 only, bounded in requests and time, stopping by itself:

1. builds the test world and writes its trust store and evidence map (the service reads the
   evidence offline through the map: no evidence server, nothing but the service on the wire);
2. measures the **in-process recorded call** here: a warm ``Verifier.verify`` plus the record
   built, signed and committed to a fresh SQLite store in groups (what one worker does per call,
   without HTTP);
3. for ``--workers 1`` and ``2``: starts ``vvp serve`` (SQLite store, durable records, access log
   to a file), warms its caches, then runs the **load generator in its own process**
   (``python -m benchmarks.bench_service loadgen``: asyncio, keep-alive connections, a fixed
   number of requests and a time limit):

   * the **loopback floor**: ``GET /healthz`` (a trivial endpoint of the same stack: uvicorn,
     Starlette, the access-log and metrics middleware), one request at a time;
   * **saturation**: ``POST /vvp/v1/verify`` closed-loop on many connections → requests/s;
   * **70 % of saturation**: open-loop at a fixed rate (latency counted from each request's
     scheduled time, so a stall is not hidden) → p50 and p99;
   * **RSS** of every worker once it has answered 10,000 and 100,000 requests (counted per
     worker from the access log; sustained closed-loop load until the slowest worker is there);
   * the **SIP front end** (issue 23): INVITEs over UDP answered 302, saturation calls/s and
     p50/p99 at 70 % of it, beside the HTTP figures.

Printed as ratios to the targets: saturation per worker ≥ 0.6× the in-process recorded rate; at
70 % of saturation p50 ≤ 1.5× (recorded call + loopback floor) and p99 ≤ 4× p50; RSS at 100,000
≤ 1.2× RSS at 10,000. ``--json`` prints one JSON object (keys in docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SATURATION_TARGET = 0.6
P50_TARGET = 1.5
P99_TARGET = 4.0
RSS_TARGET = 1.2
GROUP = 32


# --- the load generator (its own process) -----------------------------------------------------

async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, req: bytes) -> int:
    """One request on a keep-alive connection; its status. Only the status and Content-Length are
    read from the answer (the load generator shares the cores with the service: it must cost
    little per request, and the benchmark reports what it did cost)."""
    writer.write(req)
    head = await reader.readuntil(b"\r\n\r\n")
    at = head.find(b"content-length:")
    if at < 0:
        at = head.lower().find(b"content-length:")
    if at >= 0:
        end = head.find(b"\r\n", at)
        length = int(head[at + 15:end])
        if length:
            await reader.readexactly(length)
    return int(head[9:12])


def _run_async(coro: Any) -> Any:
    """``asyncio.run`` on uvloop when it is installed (the service's own loop: cheaper per request)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def _request(method: str, path: str, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def _closed(port: int, req: bytes, n: int, conns: int, limit_s: float) -> dict[str, Any]:
    """``n`` requests on ``conns`` connections, each sending its next when the last is answered."""
    done = 0
    bad = 0
    lat: list[float] = []
    t_end = time.monotonic() + limit_s

    async def one() -> None:
        nonlocal done, bad
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while done < n and time.monotonic() < t_end:
                done += 1
                t0 = time.perf_counter()
                if await _exchange(reader, writer, req) != 200:
                    bad += 1
                lat.append(time.perf_counter() - t0)
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(conns)))
    elapsed = time.perf_counter() - t0
    return {"requests": len(lat), "non_200": bad, "seconds": elapsed, "per_s": len(lat) / elapsed,
            "p50_s": _pct(lat, 50), "p99_s": _pct(lat, 99)}


async def _dispatch(n: int, rate: float, t_end: float,
                    start: Callable[[int, float], Coroutine[Any, Any, None]]) -> float:
    """Open loop: ``start(i, due)`` for request ``i`` once its scheduled time ``due`` has come,
    ``rate`` per second, until ``n`` are started or ``t_end`` (monotonic) passes; returns the
    schedule's start. Each request's task is made when it is due, not all of them up front: making
    25,000 tasks before the first runs took the generator about 0.1 s, during which the first
    ~130 requests fell due and were then sent at once, late by up to 108 ms, and counted as the
    service's latency (over 0.5 % of a 70 % stage: p99 measured the generator, not the service)."""
    running: set[asyncio.Task[None]] = set()
    t_start = time.perf_counter() + 0.05
    for i in range(n):
        due = t_start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if time.monotonic() > t_end:
            break
        task = asyncio.create_task(start(i, due))
        running.add(task)
        task.add_done_callback(running.discard)
    while running:
        await asyncio.gather(*running)
    return t_start


async def _open(port: int, req: bytes, rate: float, n: int, conns: int, limit_s: float) -> dict[str, Any]:
    """``n`` requests scheduled at ``rate``/s; latency from each one's scheduled time."""
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(conns):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    lat: list[float] = []
    bad = 0
    t_end = time.monotonic() + limit_s

    async def one(i: int, due: float) -> None:
        nonlocal bad
        rw = await pool.get()
        try:
            if await _exchange(rw[0], rw[1], req) != 200:
                bad += 1
        finally:
            pool.put_nowait(rw)
        lat.append(time.perf_counter() - due)

    t_start = await _dispatch(n, rate, t_end, one)
    elapsed = time.perf_counter() - t_start
    while not pool.empty():
        pool.get_nowait()[1].close()
    return {"requests": len(lat), "non_200": bad, "rate": rate, "seconds": elapsed, "p50_s": _pct(lat, 50),
            "p99_s": _pct(lat, 99)}


class _SipClient(asyncio.DatagramProtocol):
    """INVITEs over UDP; each waits for its final answer (302), matched by Call-ID."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[int]] = {}
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        code = int(data[8:11]) if data.startswith(b"SIP/2.0 ") else 0
        if code < 200:
            return
        for line in data.split(b"\r\n"):
            if line[:8].lower() == b"call-id:":
                fut = self.waiting.pop(line[8:].strip().decode(), None)
                if fut is not None and not fut.done():
                    fut.set_result(code)
                return


def _invite(template: bytes, n: int, port: int) -> tuple[str, bytes]:
    cid = f"bench-{os.getpid()}-{n}"
    return cid, template.replace(b"@CID@", cid.encode()).replace(b"@BRANCH@", f"z9hG4bK-b{n}".encode()) \
        .replace(b"@PORT@", str(port).encode())


async def _sip(port: int, template: bytes, n: int, conns: int, rate: float, limit_s: float) -> dict[str, Any]:
    """``n`` INVITEs: closed-loop with ``conns`` outstanding (rate 0), else open-loop at ``rate``/s;
    latency to the 302 (from the scheduled time in open loop)."""
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(_SipClient, local_addr=("127.0.0.1", 0))
    local_port = transport.get_extra_info("sockname")[1]
    lat: list[float] = []
    bad = 0
    counter = iter(range(n))
    t_end = time.monotonic() + limit_s

    async def one(i: int, due: float | None) -> None:
        nonlocal bad
        cid, msg = _invite(template, i, local_port)
        fut: asyncio.Future[int] = loop.create_future()
        proto.waiting[cid] = fut
        t0 = due if due is not None else time.perf_counter()
        transport.sendto(msg, ("127.0.0.1", port))
        try:
            code = await asyncio.wait_for(fut, 10)
        except TimeoutError:
            code = 0
        if code != 302:
            bad += 1
        lat.append(time.perf_counter() - t0)

    async def closed_worker() -> None:
        for i in counter:
            if time.monotonic() > t_end:
                return
            await one(i, None)

    t0 = time.perf_counter()
    if rate > 0:
        t0 = await _dispatch(n, rate, t_end, one)
    else:
        await asyncio.gather(*(closed_worker() for _ in range(conns)))
    elapsed = time.perf_counter() - t0
    transport.close()
    return {"requests": len(lat), "non_302": bad, "seconds": elapsed, "per_s": len(lat) / elapsed,
            "rate": rate, "p50_s": _pct(lat, 50), "p99_s": _pct(lat, 99)}


def _pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * p / 100))]


def loadgen(argv: Sequence[str]) -> int:
    """``python -m benchmarks.bench_service loadgen MODE PORT N ...``: one JSON line on stdout."""
    ap = argparse.ArgumentParser(prog="loadgen")
    ap.add_argument("mode", choices=["floor", "closed", "open", "sip"])
    ap.add_argument("port", type=int)
    ap.add_argument("n", type=int)
    ap.add_argument("--body", default="")
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--rate", type=float, default=0.0)
    ap.add_argument("--limit-s", type=float, default=120.0)
    a = ap.parse_args(argv)
    body = Path(a.body).read_bytes() if a.body else b""
    if a.mode == "sip":
        out = _run_async(_sip(a.port, body, a.n, a.conns, a.rate, a.limit_s))
    elif a.mode == "floor":
        out = _run_async(_closed(a.port, _request("GET", "/healthz"), a.n, 1, a.limit_s))
    elif a.mode == "closed":
        out = _run_async(_closed(a.port, _request("POST", "/vvp/v1/verify", body), a.n, a.conns, a.limit_s))
    else:
        out = _run_async(_open(a.port, _request("POST", "/vvp/v1/verify", body), a.rate, a.n, a.conns,
                                a.limit_s))
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


def _run_loadgen(*args: str, timeout: float) -> dict[str, Any]:
    """The load generator in its own process; its JSON line, plus ``cpu_s``: the CPU seconds the
    load generator itself used (it runs on the same cores as the service)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_service", "loadgen", *args], cwd=REPO,
                         capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


def _busy_s() -> float | None:
    """CPU seconds the whole machine has spent busy (every process), from /proc/stat."""
    try:
        ticks = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _thread_cpu_s(pid: int) -> dict[str, float]:
    """CPU seconds of each named thread of a worker (the service names its threads in the kernel:
    ``vvp-commit``, ``vvp-verify``, ``vvp-fetch``; the process's main thread, the event loop, is
    ``loop``), summed by name."""
    out: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for t in tasks:
        try:
            name = "loop" if t.name == str(pid) else (t / "comm").read_text().strip()
            stat = (t / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if not name.startswith(("vvp-", "loop")):
            name = "other"
        out[name] = out.get(name, 0.0) + (int(stat[11]) + int(stat[12])) / tick
    return out


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (every thread, dead ones included)."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


# --- the in-process recorded call ----------------------------------------------------------------

def recorded_call(trust_path: Path, evidence_map: Path, body: dict[str, Any], tmp: Path, n: int) -> dict[str, Any]:
    """Per-call time of warm verify + record built, signed, committed (groups of ``GROUP``)."""
    from vvp import clock
    from vvp.fetch import FetchLimits, RecordingFetcher, build_fetcher
    from vvp.record import open_identity
    from vvp.replay import make_record, snapshot_trust
    from vvp.store.url import open_store
    from vvp.trust import load_trust_store
    from vvp.verifier import CallInput, Verifier

    trust = load_trust_store(trust_path)
    fetcher = build_fetcher(limits=FetchLimits.from_policy(trust.policy), evidence_map=evidence_map, offline=True)
    verifier = Verifier(trust, fetcher)
    call = CallInput(reference_time=clock.parse_time(body["at"]), identities=tuple(body["identity"]),
                     orig=body["orig"], dest=body["dest"])
    system = clock.SystemClock()
    snap = snapshot_trust(trust)
    with open_identity(tmp / "inproc-keystore") as ident:
        store = open_store(f"sqlite:///{tmp / 'inproc.db'}")
        pending = []

        def one() -> None:
            rec = RecordingFetcher(fetcher, clock=system)
            verdict = verifier.verify(call, fetcher=rec)
            pending.append(make_record(call, verdict, trust=trust, events=rec.events, received_at=system.now(),
                                       identity=ident, snapshot=snap))
            if len(pending) >= GROUP:
                store.put_many(pending)
                pending.clear()

        for _ in range(GROUP * 4):
            one()
        runs = []
        cpu = []
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(n):
                one()
            runs.append((time.perf_counter() - t0) / n)
            cpu.append((time.process_time() - c0) / n)
        store.put_many(pending)
        store.close()
    per = statistics.median(runs)
    return {"recorded_s": per, "recorded_per_s": 1 / per, "recorded_cpu_s": statistics.median(cpu)}


# --- the service ----------------------------------------------------------------------------------

def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> int:
    import http.client

    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def _worker_pids(server: subprocess.Popen[bytes], workers: int) -> list[int]:
    if workers == 1:
        return [server.pid]
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == server.pid and b"spawn_main" in cmd:
            out.append(int(d.name))
    return sorted(out)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


FIRST_RSS_AFTER = 10_000
"""Requests each worker has answered at the first RSS reading (the second: ``--sustain-n``)."""


class _Answered:
    """HTTP requests each worker has answered so far, from the service's access log (one JSON
    line per request, with the worker's pid; the log is written at the end of each turn of a
    worker's loop, so it is complete once the load generator has had its answers). Each reading
    goes on from where the last one stopped, so a 100,000-request stage is not read again."""

    def __init__(self, log_path: Path, pids: list[int]) -> None:
        self.log_path = log_path
        self.counts = dict.fromkeys((str(p) for p in pids), 0)
        self._offset = 0

    def read(self) -> dict[str, int]:
        with self.log_path.open("rb") as f:
            f.seek(self._offset)
            data = f.read()
        end = data.rfind(b"\n") + 1  # a line still being written is read next time
        self._offset += end
        for line in data[:end].splitlines():
            if line.startswith(b'{"ts":'):
                try:
                    pid = str(json.loads(line)["pid"])
                except (ValueError, KeyError):
                    continue
                if pid in self.counts:
                    self.counts[pid] += 1
        return dict(self.counts)


def _serve_until(port: int, body_path: Path, answered: _Answered, each: int, limit_s: float) -> dict[str, int]:
    """Closed-loop load until every worker has answered ``each`` requests (the kernel spreads
    connections over the workers unevenly, so the one behind sets how many more are sent);
    each worker's count."""
    counts = answered.read()
    for _ in range(6):
        behind = each - min(counts.values())
        if behind <= 0:
            break
        _run_loadgen("closed", str(port), str(max(behind, 500) * len(counts)), "--body", str(body_path), "--conns",
                     str(16 * len(counts)), "--limit-s", str(limit_s), timeout=limit_s + 60)
        counts = answered.read()
    return counts


def bench_service(workers: int, files: Any, body_path: Path, tmp: Path, *, sat_n: int, sustain_n: int,
                  limit_s: float, sip_path: Path, sip_at: str) -> dict[str, Any]:
    port = _free_port()
    sip_port = _free_port()
    env = {**os.environ, "VVP_KEYSTORE": str(tmp / "keystore"), "XDG_DATA_HOME": str(tmp / "xdg")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = open(tmp / f"serve-{workers}.log", "wb")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "vvp"), "serve", "--port", str(port), "--workers", str(workers),
         "--trust", str(files.trust), "--evidence", str(files.evidence_map), "--offline",
         "--store", f"sqlite:///{tmp / f'records-{workers}.db'}", "--max-pending", "256",
         "--sip", f"udp:127.0.0.1:{sip_port}", "--sip-at", sip_at],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=env, start_new_session=True)
    try:
        t_ready = time.monotonic() + 120
        while time.monotonic() < t_ready:
            try:
                if _get(port, "/readyz") == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("vvp serve did not become ready")
        to = limit_s + 60
        _run_loadgen("closed", str(port), str(200 * workers), "--body", str(body_path), "--conns",
                     str(4 * workers), timeout=to)  # warm every worker's caches
        floor = _run_loadgen("floor", str(port), "2000", timeout=to)
        pids = _worker_pids(server, workers)
        cpu0, threads0, busy0, load0 = {p: _cpu_s(p) for p in pids}, [_thread_cpu_s(p) for p in pids], _busy_s(), \
            os.getloadavg()[0]
        sat = _run_loadgen("closed", str(port), str(sat_n), "--body", str(body_path), "--conns",
                           str(16 * workers), "--limit-s", str(limit_s), timeout=to)
        cpu1, threads1, busy1 = {p: _cpu_s(p) for p in pids}, [_thread_cpu_s(p) for p in pids], _busy_s()
        n_sat = max(1, sat["requests"])
        worker_cpu = sum(cpu1[p] - cpu0[p] for p in pids)
        by_thread: dict[str, float] = {}
        for t0, t1 in zip(threads0, threads1, strict=True):
            for name, v in t1.items():
                by_thread[name] = by_thread.get(name, 0.0) + v - t0.get(name, 0.0)
        others = None
        if busy0 is not None and busy1 is not None:  # cores kept busy by processes other than these
            others = max(0.0, (busy1 - busy0) - worker_cpu - sat["cpu_s"]) / sat["seconds"]
        cpu_fields = {"saturation_worker_cpu_per_req_s": worker_cpu / n_sat,
                      "saturation_worker_threads_cpu_per_req_s": {k: v / n_sat for k, v in sorted(by_thread.items())
                                                                  if v > 0},
                      "saturation_loadgen_cpu_per_req_s": sat["cpu_s"] / n_sat,
                      "saturation_other_busy_cores": others, "saturation_loadavg_1m": load0}
        answered = _Answered(tmp / f"serve-{workers}.log", pids)
        at_10k = _serve_until(port, body_path, answered, FIRST_RSS_AFTER, limit_s)
        rss_10k = {str(p): _rss_kib(p) for p in pids}
        rate = 0.7 * sat["per_s"]
        n70 = max(500, int(rate * min(20.0, limit_s)))
        cpu70, busy70 = {p: _cpu_s(p) for p in pids}, _busy_s()
        at70 = _run_loadgen("open", str(port), str(n70), "--body", str(body_path), "--rate", f"{rate:.1f}",
                            "--conns", str(32 * workers), "--limit-s", str(limit_s), timeout=to)
        cpu71, busy71 = {p: _cpu_s(p) for p in pids}, _busy_s()
        n70_done = max(1, at70["requests"])
        worker70 = sum(cpu71[p] - cpu70[p] for p in pids)
        cpu_fields["at70_worker_cpu_per_req_s"] = worker70 / n70_done
        cpu_fields["at70_worker_cpu_share"] = {str(p): (cpu71[p] - cpu70[p]) / max(worker70, 1e-9) for p in pids}
        cpu_fields["at70_loadgen_cpu_per_req_s"] = at70["cpu_s"] / n70_done
        cpu_fields["at70_other_busy_cores"] = (max(0.0, (busy71 - busy70) - worker70 - at70["cpu_s"]) / at70["seconds"]
                                               if busy70 is not None and busy71 is not None else None)
        sip_sat = _run_loadgen("sip", str(sip_port), str(sat_n // 2), "--body", str(sip_path), "--conns",
                               str(16 * workers), "--limit-s", str(limit_s), timeout=to)
        sip_rate = 0.7 * sip_sat["per_s"]
        sip70 = _run_loadgen("sip", str(sip_port), str(max(500, int(sip_rate * min(20.0, limit_s)))), "--body",
                             str(sip_path), "--rate", f"{sip_rate:.1f}", "--limit-s", str(limit_s), timeout=to)
        at_100k = _serve_until(port, body_path, answered, sustain_n, limit_s * 10) if sustain_n else at_10k
        rss_100k = {str(p): _rss_kib(p) for p in pids}
        server.send_signal(signal.SIGTERM)
        rc = server.wait(120)
        return {"workers": workers, "floor_p50_s": floor["p50_s"], "floor_p99_s": floor["p99_s"],
                "saturation_per_s": sat["per_s"], "saturation_non_200": sat["non_200"],
                "at70_rate": rate, "at70_requests": at70["requests"], "at70_p50_s": at70["p50_s"],
                "at70_p99_s": at70["p99_s"], "at70_non_200": at70["non_200"],
                "rss_kib_first": rss_10k, "rss_kib_last": rss_100k,
                "rss_first_after": min(at_10k.values()), "rss_last_after": min(at_100k.values()),
                "rss_first_after_by_worker": at_10k, "rss_last_after_by_worker": at_100k, "sigterm_exit": rc,
                "sip_saturation_per_s": sip_sat["per_s"], "sip_saturation_non_302": sip_sat["non_302"],
                "sip_at70_rate": sip_rate, "sip_at70_p50_s": sip70["p50_s"], "sip_at70_p99_s": sip70["p99_s"],
                "sip_at70_non_302": sip70["non_302"], **cpu_fields}
    finally:
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        server.wait(30)
        log.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    from vvp.clock import rfc3339
    from vvp.testing.world import CALL_AT, CARD, DEST, GOAL, WorldUrls, build_world, write_evidence

    with tempfile.TemporaryDirectory(prefix="vvp-bench-service-") as tmp_s:
        tmp = Path(tmp_s)
        world = build_world()
        base = "http://127.0.0.1:9"  # never contacted: every URL is in the evidence map, served offline
        files = write_evidence(world, base, tmp / "world")
        urls = WorldUrls(base)
        d = world.dossiers["le"]
        iat = int(CALL_AT.timestamp()) - 2
        sp = world.passport(signer=d.signer, kid=urls.kid(world, d.signer), evd=urls.evd(d.said), orig=d.numbers[0],
                            dest=DEST, iat=iat, exp=iat + 15, card=CARD, goal=GOAL)
        body = {"identity": [sp.identity], "orig": d.numbers[0], "dest": DEST, "at": rfc3339(CALL_AT)}
        body_path = tmp / "body.json"
        body_path.write_text(json.dumps(body))
        sip_path = tmp / "invite.sip"
        sip_path.write_bytes(
            (f"INVITE sip:{DEST}@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:@PORT@;branch=@BRANCH@\r\n"
             f"From: <sip:{d.numbers[0]}@example.com;user=phone>;tag=b\r\nTo: <sip:{DEST}@127.0.0.1;user=phone>\r\n"
             f"Call-ID: @CID@\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nIdentity: {sp.identity}\r\n"
             "Content-Length: 0\r\n\r\n").encode())
        rec = recorded_call(files.trust, files.evidence_map, body, tmp, args.recorded_n)
        results: dict[str, Any] = {"recorded_call_s": rec["recorded_s"], "recorded_per_s": rec["recorded_per_s"],
                                   "recorded_cpu_s": rec["recorded_cpu_s"], "cpus": os.cpu_count(),
                                   "loadavg_1m_start": os.getloadavg()[0], "services": []}
        for w in args.workers:
            wdir = tmp / f"w{w}"
            wdir.mkdir()
            results["services"].append(bench_service(w, files, body_path, wdir, sat_n=args.saturation_n,
                                                     sustain_n=args.sustain_n,
                                                     limit_s=args.limit_s, sip_path=sip_path,
                                                     sip_at=rfc3339(CALL_AT)))
    for s in results["services"]:
        s["saturation_per_worker_over_recorded"] = s["saturation_per_s"] / s["workers"] / results["recorded_per_s"]
        # the same ratio in CPU time: what a worker spends per request against the recorded call
        # (on 2 cores shared with the load generator the wall-clock ratio with 2 workers is bound
        # by the machine, not by the code)
        s["saturation_cpu_per_worker_over_recorded"] = results["recorded_cpu_s"] / s["saturation_worker_cpu_per_req_s"]
        s["at70_p50_over_budget"] = s["at70_p50_s"] / (results["recorded_call_s"] + s["floor_p50_s"])
        s["at70_p99_over_p50"] = s["at70_p99_s"] / s["at70_p50_s"]
        ratios = [s["rss_kib_last"][p] / s["rss_kib_first"][p] for p in s["rss_kib_first"]
                  if s["rss_kib_first"][p] and s["rss_last_after"] > s["rss_first_after"]]
        s["rss_growth"] = max(ratios) if ratios else None
    results["loadavg_1m_end"] = os.getloadavg()[0]
    return results


def report(r: dict[str, Any]) -> str:
    ok = {True: "meets", False: "MISSES"}
    lines = ["vvp serve under load (127.0.0.1, SQLite store, durable records, group commit)",
             f"  in-process recorded call          {r['recorded_call_s'] * 1e6:10.1f} us  "
             f"({r['recorded_per_s']:.0f}/s on one core)"]
    for s in r["services"]:
        w = s["workers"]
        lines += [
            f"--workers {w}",
            f"  loopback floor (GET /healthz)     {s['floor_p50_s'] * 1e6:10.1f} us p50",
            f"  saturation                        {s['saturation_per_s']:10.0f} /s  "
            f"({s['saturation_per_s'] / w:.0f} per worker; non-200: {s['saturation_non_200']})",
            f"    per worker / in-process recorded {s['saturation_per_worker_over_recorded']:9.2f}x  "
            f"(target >= {SATURATION_TARGET}: {ok[s['saturation_per_worker_over_recorded'] >= SATURATION_TARGET]})",
            f"    worker CPU per request           {s['saturation_worker_cpu_per_req_s'] * 1e6:9.1f} us  ("
            + ", ".join(f"{k} {v * 1e6:.0f}" for k, v in s["saturation_worker_threads_cpu_per_req_s"].items())
            + f"); load generator {s['saturation_loadgen_cpu_per_req_s'] * 1e6:.1f} us",
            f"    in CPU: recorded call / worker   {s['saturation_cpu_per_worker_over_recorded']:9.2f}x  "
            f"(recorded call {r['recorded_cpu_s'] * 1e6:.1f} us CPU; other processes kept "
            + (f"{s['saturation_other_busy_cores']:.2f}" if s["saturation_other_busy_cores"] is not None else "?")
            + f" cores busy, load average {s['saturation_loadavg_1m']:.2f})",
            f"  at 70 % ({s['at70_rate']:.0f}/s, {s['at70_requests']} requests)  p50 {s['at70_p50_s'] * 1e3:.2f} ms, "
            f"p99 {s['at70_p99_s'] * 1e3:.2f} ms",
            f"    worker CPU per request {s['at70_worker_cpu_per_req_s'] * 1e6:.1f} us (share by worker: "
            + ", ".join(f"{v:.2f}" for v in s["at70_worker_cpu_share"].values())
            + f"); load generator {s['at70_loadgen_cpu_per_req_s'] * 1e6:.1f} us; other processes "
            + (f"{s['at70_other_busy_cores']:.2f}" if s["at70_other_busy_cores"] is not None else "?") + " cores",
            f"    p50 / (recorded + floor)        {s['at70_p50_over_budget']:9.2f}x  "
            f"(target <= {P50_TARGET}: {ok[s['at70_p50_over_budget'] <= P50_TARGET]})",
            f"    p99 / p50                       {s['at70_p99_over_p50']:9.2f}x  "
            f"(target <= {P99_TARGET}: {ok[s['at70_p99_over_p50'] <= P99_TARGET]})",
        ]
        if s["rss_growth"] is not None:
            first, last = s["rss_first_after_by_worker"], s["rss_last_after_by_worker"]
            lines += [f"  worker RSS after {s['rss_first_after']}+ requests each: "
                      + ", ".join(f"{v / 1024:.1f} MiB ({first[p]})" for p, v in s["rss_kib_first"].items())
                      + f"; after {s['rss_last_after']}+: "
                      + ", ".join(f"{v / 1024:.1f} MiB ({last[p]})" for p, v in s["rss_kib_last"].items()),
                      f"    growth                          {s['rss_growth']:9.2f}x  "
                      f"(target <= {RSS_TARGET}: {ok[s['rss_growth'] <= RSS_TARGET]})"]
        lines += [f"  SIP INVITE -> 302 saturation        {s['sip_saturation_per_s']:10.0f} /s  "
                  f"(non-302: {s['sip_saturation_non_302']})",
                  f"  SIP at 70 % ({s['sip_at70_rate']:.0f}/s)  p50 {s['sip_at70_p50_s'] * 1e3:.2f} ms, "
                  f"p99 {s['sip_at70_p99_s'] * 1e3:.2f} ms (non-302: {s['sip_at70_non_302']})"]
        lines.append(f"  SIGTERM exit code {s['sigterm_exit']}")
    lines.append(f"machine: {r['cpus']} CPUs (shared); load generator in its own process on the same machine")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["loadgen"]:
        return loadgen(argv[1:])
    ap = argparse.ArgumentParser(prog="bench-service", description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--recorded-n", type=int, default=2000)
    ap.add_argument("--saturation-n", type=int, default=8000)
    ap.add_argument("--sustain-n", type=int, default=100_000,
                    help="requests each worker has answered at the second RSS reading (0: none)")
    ap.add_argument("--limit-s", type=float, default=60.0, help="time limit of each load stage")
    r = run(ap.parse_args(argv))
    if ap.parse_args(argv).json:
        sys.stdout.write(json.dumps(r, sort_keys=True) + "\n")
    else:
        sys.stderr.write(report(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
