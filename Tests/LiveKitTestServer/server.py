#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A LiveKit protocol test server for Parley's tests: Twirp server API, /rtc signalling with
aiortc PeerConnections, the /agent worker protocol, and a scripted peer participant.

usage: server.py --port 0 --api-key devkey --api-secret secret [--fail-next N:STATUS[:CODE]]
       [--exit-on-stdin-eof] [--establish-deadline S] [--join-deadline S] [--resume-window S]
       [--refresh-interval S] [--departure-timeout S] [--worker-register-deadline S]
       [--availability-timeout S] [--no-echo] [--no-loopback] [--candidates-in-sdp] [--log-level L]

Prints the bound port on the first stdout line. Endpoints (docs/livekit-protocol.md §§1-10):
  POST /twirp/livekit.RoomService/*, /twirp/livekit.AgentDispatchService/*   (lk_twirp.py)
  GET  /rtc            WebSocket, v0 signalling (lk_rtc.py); token from ?access_token= or
                       Authorization: Bearer; query: protocol, client_protocol, auto_subscribe,
                       reconnect=1&sid=PA_..., publish, attributes, sdk/version/os/...
  GET  /rtc/validate   same parameters over plain HTTP: 200 "success" or the upgrade's error
  GET  /agent          WebSocket, agent worker protocol (lk_agent.py); Bearer token with video.agent
Admin endpoints (no token; they exist only in this test server):
  POST /_test/fault         {"count", "status", "code"|null, "body", "content_type", "delay_ms"}  (Twirp only)
  POST /_test/participants  {"room", "participant": <ParticipantInfo JSON>}  -> the stored ParticipantInfo
                            (a passive participant: listed, never connected)
  GET  /_test/data?room=R   {"packets": [<SendDataRequest JSON>...]}  (RoomService.SendData calls)
  GET  /_test/stats         {"calls": N}   API calls seen (faulted ones included)
  GET  /_test/rooms         {"rooms": [{name, sid, participants: [...], dispatches, closing}]}; a connected
                            participant has state, tracks, published{sid: {cid, mid, media{frames, rms,
                            peak_rms}, subscribers}}, subscriptions, subscriber_pc/publisher_pc
                            {connection_state, ice_state, signaling_state, data_channels, fully_established,
                            ice{...}, local_sdp, remote_sdp}, signal_connected, resumes, data_received,
                            signal_received/sent, errors, events
  POST /_test/signal-fault  {"identity", "room"?, "action": "drop" | "leave" | "mute-pongs" | "unmute-pongs",
                            "reason"?: DisconnectReason name (leave; default STATE_MISMATCH),
                            "leave_action"?: "DISCONNECT" | "RESUME" | "RECONNECT" (leave; default RESUME)}
                            drop: TCP closed, no LeaveRequest/close frame; the participant (PCs, tracks)
                            is kept --resume-window s. leave RESUME keeps it likewise; DISCONNECT and
                            RECONNECT remove it. mute-pongs lasts for that signal connection only.
  POST /_test/bot/add       {"room", "identity"? = "test-bot", "name"?, "metadata"?, "attributes"?, "kind"?}
                            -> {"identity", "sid", "room"}   (room auto-created)
  POST /_test/bot/remove    {"room", "identity"?}
  POST /_test/bot/send-data {"room", "identity"?, "to"?: [identities] (default everyone), "payload" (text) |
                            "payload_b64", "topic"?, "kind"?: "RELIABLE" | "LOSSY"} -> {"recipients", "sequence"}
  POST /_test/bot/send-text-stream {"room", "identity"?, "to"?, "topic"? = "lk.chat", "text", "attributes"?,
                            "trailer_attributes"?, "chunk_size"? <= 15000} -> {"stream_id"}
  POST /_test/bot/rpc       {"room", "identity"?, "to", "method", "payload"?, "response_timeout_ms"? = 10000,
                            "ack_timeout_ms"? = 7000} -> {"request_id", "acked", "payload" | "error"{code,message,data}}
  GET  /_test/bot/received?room=R[&identity=test-bot][&clear=1] -> {"received": [...]} (packets, finished streams)
  GET  /_test/workers       {"workers": [{id, agent_name, type, status, load, job_count, updates[], ...}]}
  GET  /_test/jobs          {"jobs": [<Job JSON> + worker_id, status], "launch_failures": [...]}
  POST /_test/terminate-job {"job_id"} -> {"state"}   (JobTermination to the worker, job JS_SUCCESS)

The scripted bot's behaviour (echo, RPC methods "fail"/"silent"/"ignore"/"slow:<ms>") is in lk_bot.py.

Deviations from the real server (livekit-server v1.13.x over pion):
* Media: aiortc decodes and re-encodes Opus instead of forwarding RTP; only audio is relayed
  (video tracks are accepted and listed but not forwarded). A publisher gets its own audio back
  as a subscribed track (echo; the real SFU never does this; --no-echo turns it off).
* Subscriber offers: with protocol >= 8 the first offer already has the room's tracks (audio
  m-sections first, m=application last, as pion orders them); below 8 it has only the data
  channels and tracks follow in a renegotiation. aiortc's audio m-sections offer the sdes:mid and
  ssrc-audio-level extensions (the server offers abs-capture-time).
* ICE: 127.0.0.1 host candidates are gathered too (--no-loopback: only real interfaces); no
  ICE-TCP, no TURN, no ICE-lite; ice_servers is empty. ICE restart is done in place on aiortc's
  transports (lk_ice.py): same sockets, DTLS and SCTP survive, new ufrag/pwd, as with pion.
* Data channels: the server's subscriber channels count as open once SCTP is up (pion's rule).
* The default dispatch (empty agent name) of a room created without dispatches is not listed by
  ListDispatch. Max participants, codecs lists, speakers, connection quality, simulcast, RED,
  data tracks, /rtc/v1 and migration are not implemented. SyncState is accepted and ignored.

Modules: lk_store (data), lk_auth (tokens), lk_twirp, lk_room (live rooms, data routing),
lk_rtc (/rtc), lk_ice (aiortc ICE patches), lk_media (audio relay), lk_bot, lk_agent, lk_admin.
"""
import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import threading

from aiohttp import web
from google.protobuf import json_format
from livekit.protocol import models

sys.dont_write_bytecode = True   # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lk_admin  # noqa: E402
import lk_auth  # noqa: E402
import lk_ice  # noqa: E402
from lk_agent import AgentService  # noqa: E402
from lk_faults import Faults  # noqa: E402
from lk_room import Config, RoomManager  # noqa: E402
from lk_rtc import RTCService  # noqa: E402
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


def build_app(store: Store, verifier: lk_auth.Verifier, faults: Faults, config: Config | None = None,
              register_deadline: float = 10.0, availability_timeout: float = 10.0) -> web.Application:
    config = config or Config()
    lk_ice.install(loopback=config.loopback)
    api = TwirpAPI(store)
    manager = RoomManager(store, config)
    rtc_service = RTCService(store, verifier, manager, authenticate)
    agent_service = AgentService(store, verifier, manager, authenticate, register_deadline, availability_timeout)

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
    app.router.add_get("/rtc", rtc_service.handle)
    app.router.add_get("/rtc/validate", rtc_service.validate)
    app.router.add_get("/agent", agent_service.handle)
    lk_admin.setup(app, store, manager, rtc_service, agent_service)
    return app


async def serve(args) -> None:
    faults = Faults()
    for spec in args.fail_next or []:
        faults.pending.append(Faults.parse_flag(spec))
    config = Config(api_key=args.api_key, api_secret=args.api_secret, establish_deadline=args.establish_deadline,
                    join_deadline=args.join_deadline, resume_window=args.resume_window,
                    refresh_interval=args.refresh_interval, echo=not args.no_echo,
                    trickle=not args.candidates_in_sdp, loopback=not args.no_loopback,
                    departure_timeout=args.departure_timeout)
    app = build_app(Store(), lk_auth.Verifier({args.api_key: args.api_secret}), faults, config,
                    args.worker_register_deadline, args.availability_timeout)
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
    parser.add_argument("--establish-deadline", type=float, default=15.0,
                        help="seconds after ICE connects for a PC to have _reliable and _lossy open")
    parser.add_argument("--join-deadline", type=float, default=60.0,
                        help="seconds for a participant to become ACTIVE (primary PC connected)")
    parser.add_argument("--resume-window", type=float, default=30.0,
                        help="seconds a participant whose signal connection dropped is kept for a resume")
    parser.add_argument("--refresh-interval", type=float, default=300.0, help="refresh_token period (s)")
    parser.add_argument("--departure-timeout", type=float, default=None,
                        help="override each room's departure_timeout (s) before an emptied room closes")
    parser.add_argument("--worker-register-deadline", type=float, default=10.0)
    parser.add_argument("--availability-timeout", type=float, default=10.0)
    parser.add_argument("--no-echo", action="store_true", help="do not send publishers their own audio back")
    parser.add_argument("--no-loopback", action="store_true", help="do not gather 127.0.0.1 candidates")
    parser.add_argument("--candidates-in-sdp", action="store_true",
                        help="put the server's candidates in its SDP instead of trickling them")
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
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
