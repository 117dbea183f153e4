#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An ElevenLabs text-to-speech "stream-input" WebSocket protocol test server for Parley's
ElevenLabs stage tests.

usage: elevenlabs_server.py [--host 127.0.0.1] [--port 0] [--exit-on-stdin-eof] [--log-level L]

Prints the bound port on the first stdout line. It speaks the WebSocket API of
https://elevenlabs.io/docs/api-reference/text-to-speech/v-1-text-to-speech-voice-id-stream-input
(GET /v1/text-to-speech/{voice_id}/stream-input):

  handshake   xi-api-key header (missing → HTTP 401); query model_id, output_format (pcm_16000,
              pcm_22050, pcm_24000, pcm_44100; anything else → error), auto_mode,
              sync_alignment, inactivity_timeout (default 20 s), language_code
  client      first {"text": " ", "voice_settings"?, "generation_config"?}; then
              {"text": "… ", "flush"?: bool, "try_trigger_generation"?}; {"text": ""} ends the input
  server      {"audio": base64 PCM, "isFinal": null, "normalizedAlignment": {…},
              "alignment": {"chars", "charStartTimesMs", "charDurationsMs"}} (times relative to
              the start of the chunk), then {"isFinal": true} after the end of input, then close
              (1000); errors are {"message", "error", "code"} and a close with that code

Generation: with auto_mode=true every text message is voiced as it arrives; otherwise text is
buffered until a flush, the end of input, or chunk_length_schedule[0] (default 120) characters.
Audio is `speech_tone` (20 ms of tone per character, decodable back to the text), in chunks of 7
characters (so a chunk can span two text messages) with ?chunk_ms= (default 5) between chunks.
No text within inactivity_timeout seconds closes the socket with an `input_timeout_exceeded` error.

Tests pick a session and scenario through the URL:
ws://HOST:PORT/s/<session>/<scenario>/v1/text-to-speech/VOICE/stream-input.

Scenarios (every fault hits a connection):
  ok                as described
  slow_first_byte   waits ?delay_ms= (default 3000) before the connection's first chunk
  error_401         HTTP 401 on the upgrade ({"detail": {"status": "invalid_api_key", …}})
  error_500         HTTP 500 on the upgrade
  drop              first chunk, then the TCP connection is closed (no close frame)
  malformed         first chunk, then a message whose JSON is cut off
  provider_error    {"message", "error": "internal_error", "code": 1011} instead of the first chunk,
                    then a close with 1011
  hold              first chunk, then nothing more on that socket until GET /_test/release (or the
                    client goes away): for streaming and interruption tests
  batch             ignores flush and auto_mode: voices all the text at the end of input, so chunks
                    run across the boundaries of the text messages (the client must split them by
                    their alignment)

Query items every scenario takes (test controls; ElevenLabs' own items are as documented):
  fault_count=N     only the session's first N connections fault; later ones behave as ok.
                    Default: every one.
  chunk_ms=N        pause between chunks (default 5); delay_ms=N (slow_first_byte)

Admin endpoints (exist only in this test server):
  GET /_test/requests?session=S     {"requests": [connection record…]} in connection order:
                                    scenario, path, voice_id, query, api_key (xi-api-key),
                                    messages (every JSON message, in order), ended_by ("client":
                                    closed before isFinal; "server": isFinal sent, an error, or
                                    a fault; "timeout": the inactivity timeout; null while open),
                                    pending_characters (text not yet voiced when it ended)
  GET /_test/disconnects?session=S  {"disconnects": N}  connections the client closed before the
                                    server sent isFinal (close frame or dropped TCP)
  GET /_test/release?session=S      lets held generations go on; {"released": true}
"""

import asyncio
import base64
import json
import logging

from aiohttp import WSMsgType, web

import server_launcher

import speech_tone

log = logging.getLogger("elevenlabs_server")

CHUNK_CHARS = 7
FORMATS = {"pcm_16000": 16000, "pcm_22050": 22050, "pcm_24000": 24000, "pcm_44100": 44100}
STREAM_FAULTS = ("slow_first_byte", "drop", "malformed", "hold", "provider_error")


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


class Stop(Exception):
    """The generation ended the connection (a fault or an error)."""


class Connection:
    def __init__(self, ws, request, session: Session, scenario: str, rate: int, fault):
        self.ws = ws
        # The stream fault this connection gets (at its first chunk), if any.
        self.fault = fault
        self.transport = request.transport
        self.session = session
        self.scenario = scenario
        self.rate = rate
        self.chunk_ms = int(request.query.get("chunk_ms", "5"))
        self.delay_ms = int(request.query.get("delay_ms", "3000"))
        self.auto_mode = request.query.get("auto_mode", "false").lower() == "true"
        self.queue: asyncio.Queue = asyncio.Queue()
        self.buffer = ""
        self.schedule_first = 120
        self.pending_characters = 0
        self.final_sent = False
        self.dropped = False
        self.failed = False

    async def send(self, obj):
        await self.ws.send_str(obj if isinstance(obj, str) else json.dumps(obj))

    async def fail(self, message, error, code):
        self.failed = True
        await self.send({"message": message, "error": error, "code": code})
        await self.ws.close(code=code, message=error.encode())

    def voice(self, text):
        if text:
            self.pending_characters += len(text)
            self.queue.put_nowait(text)

    async def generate(self):
        """Voices queued text in order; None ends the input (isFinal, then close)."""
        try:
            while True:
                text = await self.queue.get()
                if text is None:
                    await self.send({"isFinal": True})
                    self.final_sent = True
                    await self.ws.close()
                    return
                await self.speak(text)
        except (Stop, asyncio.CancelledError, ConnectionResetError):
            pass

    async def speak(self, text):
        per_char = speech_tone.char_bytes(self.rate)
        pcm = speech_tone.encode(text, self.rate)
        for first in range(0, len(text), CHUNK_CHARS):
            chars = list(text[first:first + CHUNK_CHARS])
            fault, self.fault = self.fault, None
            if fault == "slow_first_byte":
                await asyncio.sleep(self.delay_ms / 1000)
            if fault == "provider_error":
                await self.fail("An internal error occurred (test fault)", "internal_error", 1011)
                raise Stop()
            alignment = {"chars": chars,
                         "charStartTimesMs": [speech_tone.CHAR_MS * i for i in range(len(chars))],
                         "charDurationsMs": [speech_tone.CHAR_MS] * len(chars)}
            audio = pcm[first * per_char:(first + len(chars)) * per_char]
            await self.send({"audio": base64.b64encode(audio).decode(), "isFinal": None,
                             "normalizedAlignment": alignment, "alignment": alignment})
            self.pending_characters -= len(chars)
            if fault == "drop":
                self.dropped = True
                self.transport.close()
                raise Stop()
            if fault == "malformed":
                await self.send('{"audio": "AAAA", "isFinal": ')
            if fault == "hold":
                await self.session.released.wait()
            if self.chunk_ms:
                await asyncio.sleep(self.chunk_ms / 1000)

    def take_buffer(self):
        text, self.buffer = self.buffer, ""
        self.voice(text)


def check_first(msg):
    if msg.get("text") != " ":
        return 'the first message must be {"text": " "} (a single space), with optional settings'
    settings = msg.get("voice_settings")
    if settings is not None:
        if not isinstance(settings, dict):
            return "voice_settings must be an object"
        for name in ("stability", "similarity_boost", "style"):
            if name in settings and not (isinstance(settings[name], (int, float)) and 0 <= settings[name] <= 1):
                return f"voice_settings.{name} must be a number in 0…1"
        if "speed" in settings and not (isinstance(settings["speed"], (int, float)) and 0.7 <= settings["speed"] <= 1.2):
            return "voice_settings.speed must be a number in 0.7…1.2"
    return None


async def websocket(request: web.Request):
    store: Store = request.app["store"]
    session_name, scenario = route(request)
    session = store.get(session_name)
    key = request.headers.get("xi-api-key")
    record = {"scenario": scenario, "path": request.path, "voice_id": request.match_info["voice"],
              "query": dict(request.query), "api_key": key, "messages": [], "ended_by": None,
              "pending_characters": 0}
    session.records.append(record)
    fault = scenario if scenario in STREAM_FAULTS + ("error_401", "error_500") and session.take_fault(request.query) \
        else None
    if fault in ("error_401", "error_500"):
        record["ended_by"] = "server"
    if fault == "error_401":
        return web.json_response({"detail": {"status": "invalid_api_key", "message": "Invalid API key (test fault)"}},
                                 status=401)
    if fault == "error_500":
        return web.json_response({"detail": {"status": "internal_error", "message": "Internal error (test fault)"}},
                                 status=500)
    if not key:
        record["ended_by"] = "server"
        return web.json_response({"detail": {"status": "needs_authorization", "message": "Missing xi-api-key"}},
                                 status=401)

    ws = web.WebSocketResponse(max_msg_size=1 << 20)
    await ws.prepare(request)
    output_format = request.query.get("output_format", "mp3_44100")
    if output_format not in FORMATS:
        record["ended_by"] = "server"
        await ws.send_str(json.dumps({"message": f"output_format {output_format} is not supported by this test server",
                                      "error": "invalid_output_format", "code": 1008}))
        await ws.close(code=1008)
        return ws
    conn = Connection(ws, request, session, scenario, FORMATS[output_format], fault)
    generator = asyncio.create_task(conn.generate())
    timeout = float(request.query.get("inactivity_timeout", "20"))
    initialized = False
    ended = False
    try:
        while not ws.closed:
            try:
                msg = await asyncio.wait_for(ws.receive(), timeout)
            except asyncio.TimeoutError:
                record["ended_by"] = "timeout"
                await conn.fail(f"Have not received a new text input within the timeout of {timeout:g} seconds",
                                "input_timeout_exceeded", 1008)
                break
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                break
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                body = json.loads(msg.data)
            except json.JSONDecodeError:
                await conn.fail("invalid JSON", "invalid_json", 1008)
                break
            record["messages"].append(body)
            if not isinstance(body, dict) or not isinstance(body.get("text"), str):
                await conn.fail('every message needs "text" (a string)', "input_error", 1008)
                break
            if not initialized:
                problem = check_first(body)
                if problem:
                    await conn.fail(problem, "input_error", 1008)
                    break
                initialized = True
                schedule = (body.get("generation_config") or {}).get("chunk_length_schedule")
                if isinstance(schedule, list) and schedule:
                    conn.schedule_first = int(schedule[0])
                continue
            if ended:
                continue
            text = body["text"]
            if text == "":
                ended = True
                conn.take_buffer()
                conn.queue.put_nowait(None)
                continue
            if scenario == "batch":
                conn.buffer += text
            elif conn.auto_mode:
                conn.voice(text)
            else:
                conn.buffer += text
                if body.get("flush") is True or len(conn.buffer) >= conn.schedule_first:
                    conn.take_buffer()
    finally:
        if not generator.done():
            generator.cancel()
        record["pending_characters"] = conn.pending_characters + len(conn.buffer)
        if record["ended_by"] is None:
            if conn.dropped or conn.final_sent or conn.failed:
                record["ended_by"] = "server"
            else:
                record["ended_by"] = "client"
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
    app.router.add_get("/{prefix:.*}/v1/text-to-speech/{voice}/stream-input", websocket)
    app.router.add_get("/v1/text-to-speech/{voice}/stream-input", websocket)
    return app


if __name__ == "__main__":
    server_launcher.run(__doc__, build_app)
