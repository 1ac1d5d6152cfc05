"""``vvp serve``: the verification service a terminating provider runs (architecture §4.5).

An HTTP API on Starlette and uvicorn: ``POST /stir/v1/verification`` (ATIS-1000082),
``POST /vvp/v1/verify``, ``POST /vvp/v1/verify-callee``, ``GET /vvp/v1/records/{id}``,
``/healthz``, ``/readyz``, ``/metrics``, ``/openapi.json``. Every answer is sent after the call's
signed record is committed to the store. ``--workers N`` runs N processes on one port, each with
its own Verifier and warm cache, sharing the store (and so the replay memory). ``--sip
udp:HOST:PORT`` adds a SIP redirect front end (INVITE → 302 with ``verstat``). SIGTERM drains
in-flight requests, then exits 0. JSON access logs go to stderr. See docs/service.md.
"""

from __future__ import annotations

import argparse

from vvp.service.config import ServiceConfig

HELP = "run the verification service (HTTP API, optional SIP redirect front end)"
EXIT_CODES = ("exit codes: 0 stopped by SIGTERM/SIGINT after draining, 2 usage error (an option), "
              "4 operational error (the trust store, the port, the store or the keystore cannot be had)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = ServiceConfig()
    p.add_argument("--host", default=d.host, help=f"address to listen on (default {d.host})")
    p.add_argument("--port", type=int, default=d.port, help=f"TCP port (default {d.port})")
    p.add_argument("--workers", type=int, default=d.workers,
                   help="worker processes on the one port, each with its own Verifier and cache (default 1)")
    p.add_argument("--trust", metavar="FILE", help="trust store (roots, schemas, policy); default: no roots")
    p.add_argument("--store", metavar="URL",
                   help="record store: sqlite:///PATH, postgresql://..., or a path "
                        "(default sqlite under $XDG_DATA_HOME/vvp/records.db)")
    p.add_argument("--keystore", metavar="DIR", help="the verifier's own KERI keystore (default $VVP_KEYSTORE, "
                                                    "else $XDG_DATA_HOME/vvp/keystore)")
    p.add_argument("--evidence", metavar="MAP", help="JSON map of URL or said:<SAID> to local files")
    p.add_argument("--offline", action="store_true", help="fetch nothing that the evidence map does not give")
    p.add_argument("--threads", type=int, default=d.threads,
                   help=f"verification threads per worker (fetches wait there; default {d.threads})")
    p.add_argument("--max-pending", type=int, default=d.max_pending,
                   help=f"verifications admitted per worker before 503 + Retry-After (default {d.max_pending})")
    p.add_argument("--retry-after", type=int, default=d.retry_after_s, dest="retry_after_s",
                   help=f"Retry-After seconds of a 503 (default {d.retry_after_s})")
    p.add_argument("--max-body", type=int, default=d.max_body_bytes, dest="max_body_bytes",
                   help=f"largest request body in bytes (default {d.max_body_bytes})")
    p.add_argument("--drain-s", type=int, default=d.drain_s,
                   help=f"seconds SIGTERM waits for in-flight requests (default {d.drain_s})")
    p.add_argument("--no-access-log", action="store_true", help="do not write JSON access lines on stderr")
    p.add_argument("--metrics-dir", metavar="DIR",
                   help="prometheus-client multiprocess folder (default: a fresh temporary folder)")
    p.add_argument("--sip", metavar="udp:HOST:PORT", help="also answer SIP INVITEs with 302 + verstat here")
    p.add_argument("--sip-at", metavar="TIME", help="verify SIP calls as of this time (RFC 3339 or Unix seconds; "
                                                    "for replaying captured traffic; default: arrival)")


def config_of(args: argparse.Namespace) -> ServiceConfig:
    return ServiceConfig(host=args.host, port=args.port, workers=args.workers, trust=args.trust, store=args.store,
                         keystore=args.keystore, evidence=args.evidence, offline=bool(args.offline),
                         threads=args.threads, max_pending=args.max_pending, retry_after_s=args.retry_after_s,
                         max_body_bytes=args.max_body_bytes, drain_s=args.drain_s,
                         access_log=not args.no_access_log, metrics_dir=args.metrics_dir, sip=args.sip,
                         sip_at=args.sip_at).check()


def run(args: argparse.Namespace) -> int:
    from vvp.service.runner import serve  # uvicorn and the app load only for this subcommand
    return serve(config_of(args))
