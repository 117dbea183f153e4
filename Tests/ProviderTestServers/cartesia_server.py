#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A Cartesia TTS WebSocket protocol test server for Parley's Cartesia stage tests.

usage: cartesia_server.py [--host 127.0.0.1] [--port 0] [--exit-on-stdin-eof] [--log-level L]

Prints the bound port on the first stdout line. It speaks the WebSocket API of
https://docs.cartesia.ai/2024-11-13/api-reference/tts/websocket (GET /tts/websocket):

  handshake   X-API-Key header (or ?api_key=, or Authorization: Bearer), Cartesia-Version header
              (or ?cartesia_version=); missing key → HTTP 401, missing version → HTTP 400
  client      generation requests {"model_id", "transcript", "voice": {"mode": "id", "id"},
              "language", "context_id", "output_format": {"container": "raw",
              "encoding": "pcm_s16le", "sample_rate"}, "continue", "flush"?};
              every input on a context must repeat the first one's fields except transcript,
              continue and flush; cancel {"context_id", "cancel": true}
  server      {"type": "chunk", "data": base64 PCM, "done": false, "status_code": 206,
              "step_time", "context_id", "flush_id"}, {"type": "flush_done", "flush_done": true,
              "flush_id", …} after a flush request (flush ids count from 1: the audio of the
              transcripts before the first flush carries flush_id 1), {"type": "done", "done": true, …}
              after the input with "continue": false, {"type": "error", "error", "status_code",
              "done": true, "context_id"} for a bad request

Audio is `speech_tone` (20 ms of tone per character, so a test can decode the text back),
sent in chunks of 5 characters (100 ms) with ?chunk_ms= (default 5) between chunks.

Tests pick a session and scenario through the URL: ws://HOST:PORT/s/<session>/<scenario>/tts/websocket
(plain /tts/websocket is session "default", scenario "ok").

Scenarios (upgrade faults hit connections, stream faults hit contexts):
  ok                as described
  slow_first_byte   waits ?delay_ms= (default 3000) before a context's first chunk
  error_401         HTTP 401 on the upgrade (JSON body), as for an invalid key
  error_500         HTTP 500 on the upgrade
  drop              first chunk, then the TCP connection is closed (no close frame)
  malformed         first chunk, then a message whose JSON is cut off
  provider_error    {"type": "error", "status_code": 500, …} instead of the context's audio
  hold              first chunk, then nothing more for that context until GET /_test/release
                    (or until it is cancelled): for streaming and interruption tests
Query items every scenario takes (test controls, not protocol):
  fault_count=N     only the session's first N faults happen (connections for upgrade faults,
                    contexts for stream faults); later ones behave as ok. Default: every one.
  chunk_ms=N        pause between chunks (default 5); delay_ms=N (slow_first_byte)

Admin endpoints (exist only in this test server):
  GET /_test/requests?session=S     {"requests": [connection record…]} in connection order:
                                    scenario, path, query, api_key (X-API-Key or ?api_key=),
                                    authorization, version, messages (every JSON request, in
                                    order), cancels (context ids), ended_by ("client", "server"
                                    or null while open)
  GET /_test/disconnects?session=S  {"disconnects": N}  connections the client closed (close
                                    frame or dropped TCP) while a context was still generating
  GET /_test/release?session=S      lets held generations go on; {"released": true}
"""

import asyncio
import base64
import json
import logging

from aiohttp import WSMsgType, web

import server_launcher

import speech_tone

log = logging.getLogger("cartesia_server")

CHUNK_CHARS = 5
STREAM_FAULTS = ("slow_first_byte", "drop", "malformed", "hold", "provider_error")
SAMPLE_RATES = {8000, 16000, 22050, 24000, 44100, 48000}
# Fields that must stay the same over the inputs of one context (the docs' "Input Format" rule 1).
FIXED_FIELDS = ("model_id", "voice", "output_format", "language")


class Session:
    def __init__(self):
        self.records: list = []
        self.disconnects = 0
        self.faults = 0
        self.released = asyncio.Event()

    def take_fault(self, query) -> bool:
        """Whether the next fault happens (fault_count=N limits them to the first N)."""
        limit = query.get("fault_count")
        if limit is not None and self.faults >= int(limit):
            return False
        self.faults += 1
        return True


class Store:
    def __init__(self):
        self.sessions: dict[str, Session] = {}

    def get(self, name: str) -> Session:
        if name not in self.sessions:
            self.sessions[name] = Session()
        return self.sessions[name]


def route(request: web.Request):
    parts = [p for p in request.match_info.get("prefix", "").split("/") if p]
    if len(parts) >= 3 and parts[0] == "s":
        return parts[1], parts[2]
    return "default", "ok"


class Context:
    """One speech context: inputs queue up and are voiced in order by one task."""

    def __init__(self, context_id: str, first: dict):
        self.id = context_id
        self.first = first
        self.queue: asyncio.Queue = asyncio.Queue()
        self.flush_id = 1
        self.finished = False
        # The stream fault this context gets (at its first chunk), if any.
        self.fault = None
        self.task: asyncio.Task | None = None


class Connection:
    def __init__(self, ws: web.WebSocketResponse, request: web.Request, session: Session, scenario: str, record):
        self.ws = ws
        self.transport = request.transport
        self.session = session
        self.scenario = scenario
        self.record = record
        self.query = request.query
        self.chunk_ms = int(request.query.get("chunk_ms", "5"))
        self.delay_ms = int(request.query.get("delay_ms", "3000"))
        self.contexts: dict[str, Context] = {}
        self.send_lock = asyncio.Lock()
        self.dropped = False

    async def send(self, obj):
        async with self.send_lock:
            await self.ws.send_str(obj if isinstance(obj, str) else json.dumps(obj))

    async def error(self, context_id, message, status=400):
        await self.send({"type": "error", "context_id": context_id, "status_code": status, "done": True,
                         "error": message})

    async def handle(self, msg: dict):
        context_id = msg.get("context_id")
        if msg.get("cancel") is True:
            self.record["cancels"].append(context_id)
            context = self.contexts.pop(context_id, None)
            if context and context.task:
                context.task.cancel()
            return
        if not isinstance(context_id, str) or not context_id:
            return await self.error(context_id, "context_id is required")
        problem = validate(msg)
        if problem:
            return await self.error(context_id, problem)
        context = self.contexts.get(context_id)
        if context is None:
            context = Context(context_id, msg)
            if self.scenario in STREAM_FAULTS and self.session.take_fault(self.query):
                context.fault = self.scenario
            self.contexts[context_id] = context
            context.task = asyncio.create_task(self.voice(context))
        elif context.finished:
            return await self.error(context_id, f"context {context_id} has already finished")
        else:
            changed = [f for f in FIXED_FIELDS if msg.get(f) != context.first.get(f)]
            if changed:
                return await self.error(context_id, "inputs on one context must keep the same "
                                        + ", ".join(changed))
        if msg.get("transcript"):
            context.queue.put_nowait(("text", msg["transcript"]))
        if msg.get("flush") is True:
            context.queue.put_nowait(("flush", None))
        if msg.get("continue") is not True:
            context.finished = True
            context.queue.put_nowait(("done", None))

    async def voice(self, context: Context):
        rate = context.first["output_format"]["sample_rate"]
        try:
            while True:
                kind, text = await context.queue.get()
                if kind == "flush":
                    await self.send({"type": "flush_done", "done": False, "flush_done": True,
                                     "flush_id": context.flush_id, "status_code": 206, "context_id": context.id})
                    context.flush_id += 1
                elif kind == "done":
                    await self.send({"type": "done", "done": True, "status_code": 206, "context_id": context.id})
                    self.contexts.pop(context.id, None)
                    return
                else:
                    await self.speak(context, text, rate)
        except asyncio.CancelledError:
            pass
        except ConnectionResetError:
            pass

    async def speak(self, context: Context, text: str, rate: int):
        step = speech_tone.char_bytes(rate) * CHUNK_CHARS
        pcm = speech_tone.encode(text, rate)
        for offset in range(0, len(pcm), step):
            fault, context.fault = context.fault, None
            if fault == "slow_first_byte":
                await asyncio.sleep(self.delay_ms / 1000)
            if fault == "provider_error":
                await self.error(context.id, "Internal error while generating audio (test fault)", 500)
                context.finished = True
                raise asyncio.CancelledError()
            await self.send({"type": "chunk", "data": base64.b64encode(pcm[offset:offset + step]).decode(),
                             "done": False, "status_code": 206, "step_time": 1, "context_id": context.id,
                             "flush_id": context.flush_id})
            if fault == "drop":
                self.dropped = True
                self.transport.close()
                raise asyncio.CancelledError()
            if fault == "malformed":
                await self.send('{"type": "chunk", "data": "AAAA", "context_id": "' + context.id)
            if fault == "hold":
                await self.session.released.wait()
            if self.chunk_ms:
                await asyncio.sleep(self.chunk_ms / 1000)


def validate(msg: dict):
    if not isinstance(msg.get("model_id"), str) or not msg["model_id"]:
        return "model_id is required"
    voice = msg.get("voice")
    if not isinstance(voice, dict) or voice.get("mode") != "id" or not isinstance(voice.get("id"), str):
        return 'voice must be {"mode": "id", "id": VOICE_ID}'
    fmt = msg.get("output_format")
    if not isinstance(fmt, dict) or fmt.get("container") != "raw" or fmt.get("encoding") != "pcm_s16le":
        return "this test server only produces raw pcm_s16le"
    if fmt.get("sample_rate") not in SAMPLE_RATES:
        return f"sample_rate must be one of {sorted(SAMPLE_RATES)}"
    if not isinstance(msg.get("transcript"), str):
        return "transcript must be a string"
    if "continue" in msg and not isinstance(msg["continue"], bool):
        return "continue must be a boolean"
    return None


async def websocket(request: web.Request):
    store: Store = request.app["store"]
    session_name, scenario = route(request)
    session = store.get(session_name)
    key = request.headers.get("X-API-Key") or request.query.get("api_key")
    authorization = request.headers.get("Authorization")
    version = request.headers.get("Cartesia-Version") or request.query.get("cartesia_version")
    record = {"scenario": scenario, "path": request.path, "query": dict(request.query), "api_key": key,
              "authorization": authorization, "version": version, "messages": [], "cancels": [], "ended_by": None}
    session.records.append(record)
    if scenario in ("error_401", "error_500") and session.take_fault(request.query):
        record["ended_by"] = "server"
        if scenario == "error_401":
            return web.json_response({"error": "Invalid API key (test fault)"}, status=401)
        return web.json_response({"error": "Internal server error (test fault)"}, status=500)
    if not key and not (authorization or "").startswith("Bearer "):
        record["ended_by"] = "server"
        return web.json_response({"error": "Missing API key"}, status=401)
    if not version:
        record["ended_by"] = "server"
        return web.json_response({"error": "Missing Cartesia-Version"}, status=400)

    ws = web.WebSocketResponse(max_msg_size=1 << 20)
    await ws.prepare(request)
    conn = Connection(ws, request, session, scenario, record)
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                body = json.loads(msg.data)
            except json.JSONDecodeError:
                await conn.error(None, "invalid JSON")
                continue
            if not isinstance(body, dict):
                await conn.error(None, "a request must be a JSON object")
                continue
            record["messages"].append(body)
            await conn.handle(body)
    finally:
        active = [c.id for c in conn.contexts.values() if c.task and not c.task.done()]
        for c in list(conn.contexts.values()):
            if c.task:
                c.task.cancel()
        record["ended_by"] = "server" if conn.dropped else "client"
        if active and not conn.dropped:
            session.disconnects += 1
    return ws


async def admin_requests(request: web.Request):
    store: Store = request.app["store"]
    return web.json_response({"requests": store.get(request.query.get("session", "default")).records})


async def admin_disconnects(request: web.Request):
    store: Store = request.app["store"]
    return web.json_response({"disconnects": store.get(request.query.get("session", "default")).disconnects})


async def admin_release(request: web.Request):
    store: Store = request.app["store"]
    store.get(request.query.get("session", "default")).released.set()
    return web.json_response({"released": True})


def build_app():
    app = web.Application()
    app["store"] = Store()
    app.router.add_get("/_test/requests", admin_requests)
    app.router.add_get("/_test/disconnects", admin_disconnects)
    app.router.add_get("/_test/release", admin_release)
    app.router.add_get("/{prefix:.*}/tts/websocket", websocket)
    app.router.add_get("/tts/websocket", websocket)
    return app


if __name__ == "__main__":
    server_launcher.run(__doc__, build_app)
