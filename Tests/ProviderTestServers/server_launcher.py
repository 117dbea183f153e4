# SPDX-License-Identifier: Apache-2.0
"""The launcher every provider protocol test server shares (the conventions
Tests/ParleyTestSupport/ProviderTestServer.swift relies on): --port 0 binds a free port and
prints it on the first stdout line; --exit-on-stdin-eof ends the server with its parent."""

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading

from aiohttp import web


def run(doc, build_app):
    """Parses the common arguments, then serves `build_app()` (an aiohttp Application with the
    server's own routes and state) until killed."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="exit when stdin closes, so a crashed test run leaves no server behind")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # A parent may spawn us with SIGTERM blocked (Foundation's Process does); stop promptly anyway.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if args.exit_on_stdin_eof:
        def watch():
            sys.stdin.buffer.read()
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()

    async def serve():
        runner = web.AppRunner(build_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, args.host, args.port)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
