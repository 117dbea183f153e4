#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A LiveKit protocol test server for Parley's tests (Twirp server API so far).

usage: server.py --port 0 --api-key devkey --api-secret secret [--fail-next N:STATUS[:CODE]]
       [--exit-on-stdin-eof]

Prints the bound port on the first stdout line. Endpoints:
  POST /twirp/livekit.RoomService/*, /twirp/livekit.AgentDispatchService/*   (lk_twirp.py)
  POST /_test/fault         {"count", "status", "code"|null, "body", "content_type", "delay_ms"}
  POST /_test/participants  {"room", "participant": <ParticipantInfo JSON>}  -> the stored ParticipantInfo
  GET  /_test/data?room=R   {"packets": [<SendDataRequest JSON>...]}
  GET  /_test/stats         {"calls": N}   API calls seen (faulted ones included)
Admin endpoints need no token: they exist only in this test server.

The store (lk_store.py) and token checks (lk_auth.py) are separate modules so the /rtc signalling
and /agent worker WebSockets can be added to this same aiohttp app later.
"""
import argparse
import asyncio
import json
import os
import signal
import sys
import threading

from aiohttp import web
from google.protobuf import json_format
from livekit.protocol import models

sys.dont_write_bytecode = True   # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lk_auth  # noqa: E402
from lk_faults import Faults  # noqa: E402
from lk_store import Store  # noqa: E402
from lk_twirp import TwirpAPI, to_json  # noqa: E402


def authenticate(request: web.Request, verifier: lk_auth.Verifier):
    """The server's auth middleware (pkg/service/auth.go): returns claims, None (no token), or
    raises AuthFailure. An Authorization header without "Bearer " is refused outright."""
    header = request.headers.get("Authorization", "")
    if header:
        if not header.startswith("Bearer "):
            raise lk_auth.AuthFailure("invalid authorization header. Must start with Bearer ")
        token = header[len("Bearer "):]
    else:
        token = request.query.get("access_token", "")
    return verifier.verify(token) if token else None


def build_app(store: Store, verifier: lk_auth.Verifier, faults: Faults) -> web.Application:
    api = TwirpAPI(store)

    async def twirp(request: web.Request) -> web.Response:
        fault = faults.take()
        if fault is not None:
            if fault.delay_ms:
                await asyncio.sleep(fault.delay_ms / 1000)
            if fault.status:
                status, ctype, body = fault.response()
                return web.Response(status=status, body=body, content_type=ctype)
        try:
            claims = authenticate(request, verifier)
        except lk_auth.AuthFailure as e:
            return web.Response(status=401, text=str(e), content_type="text/plain")
        body = await request.read()
        status, ctype, payload = api.call(request.match_info["service"], request.match_info["method"],
                                          request.method, request.headers.get("Content-Type"), body, claims)
        return web.Response(status=status, body=payload, content_type=ctype)

    async def set_fault(request: web.Request) -> web.Response:
        fault = faults.from_json(await request.json())
        return web.json_response({"pending": fault.remaining})

    async def add_participant(request: web.Request) -> web.Response:
        spec = await request.json()
        info = json_format.ParseDict(spec.get("participant", {}), models.ParticipantInfo(), ignore_unknown_fields=True)
        stored = store.add_participant(spec["room"], info)
        return web.Response(body=to_json(stored), content_type="application/json")

    async def sent_data(request: web.Request) -> web.Response:
        state = store.rooms.get(request.query.get("room", ""))
        packets = [json.loads(to_json(p)) for p in (state.data if state else [])]
        return web.json_response({"packets": packets})

    async def stats(_: web.Request) -> web.Response:
        return web.json_response({"calls": faults.calls})

    app = web.Application(client_max_size=10 * 1024 * 1024)   # the server's default body limit
    app.router.add_route("*", "/twirp/{service}/{method}", twirp)
    app.router.add_post("/_test/fault", set_fault)
    app.router.add_post("/_test/participants", add_participant)
    app.router.add_get("/_test/data", sent_data)
    app.router.add_get("/_test/stats", stats)
    return app


async def serve(args) -> None:
    faults = Faults()
    for spec in args.fail_next or []:
        faults.pending.append(Faults.parse_flag(spec))
    app = build_app(Store(), lk_auth.Verifier({args.api_key: args.api_secret}), faults)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(port, flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="devkey")
    parser.add_argument("--api-secret", default="secret")
    parser.add_argument("--fail-next", action="append", metavar="N:STATUS[:CODE]")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="exit when stdin closes, so a crashed test run leaves no server behind")
    args = parser.parse_args()
    # A parent may spawn us with SIGTERM blocked (Foundation's Process does); stop promptly anyway.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if args.exit_on_stdin_eof:
        def watch():
            sys.stdin.buffer.read()
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
