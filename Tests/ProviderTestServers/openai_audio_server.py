#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An OpenAI audio API protocol test server (speech and transcriptions) for Parley's OpenAI
TTS and STT stage tests.

usage: openai_audio_server.py [--host 127.0.0.1] [--port 0] [--exit-on-stdin-eof] [--log-level L]

Prints the bound port on the first stdout line. It speaks:

  POST /v1/audio/speech           (https://platform.openai.com/docs/api-reference/audio/createSpeech)
      JSON {"model", "input" (≤ 4096 characters), "voice", "response_format", "speed"?,
      "instructions"?}; answers 200 with the raw audio streamed in the body (chunked transfer
      encoding). This server produces response_format "pcm" only: 24 kHz 16-bit LE mono, as OpenAI's.
  POST /v1/audio/transcriptions   (https://platform.openai.com/docs/api-reference/audio/createTranscription)
      multipart/form-data: file (a WAV: RIFF, PCM 16-bit), model, language?, prompt?,
      response_format? (json, text, verbose_json), timestamp_granularities[]? (word, segment);
      answers {"text"} (json), the text (text), or {"task", "language", "duration", "text",
      "words": [{"word", "start", "end"}], "segments"} (verbose_json, whisper-1 only, as at OpenAI)
  Errors are JSON {"error": {"message", "type", "param", "code"}} with the HTTP status.

Speech audio is `speech_tone` (20 ms of tone per character of the input, decodable back), sent
in pieces of 5 characters (100 ms) with ?chunk_ms= (default 5) between them. Transcription
decodes the uploaded audio with `speech_tone` (so a test speaks a text as tones and gets it
back); word times are where each run of non-space characters sits in the file.

Tests pick a session and scenario through the URL: http://HOST:PORT/s/<session>/<scenario>/v1/…
(plain /v1/… is session "default", scenario "ok").

Scenarios:
  ok                as described
  slow_first_byte   waits ?delay_ms= (default 3000) before answering
  error_401         HTTP 401 (invalid_api_key)
  error_500         HTTP 500 (server_error)
  drop              speech: the first 100 ms of audio, then the TCP connection is closed;
                    transcription: the connection is closed without an answer
  malformed         speech: 200 with Content-Type application/json and a JSON body instead of
                    audio; transcription: 200 with cut-off JSON
  hold              speech: the first 100 ms of audio, then nothing until GET /_test/release
                    (or the client goes away): for streaming and interruption tests;
                    transcription: no answer until released

Query items every scenario takes (test controls, not protocol):
  fault_count=N     only the session's first N requests fault; later ones behave as ok.
                    Default: every one.
  chunk_ms=N        pause between speech chunks (default 5); delay_ms=N (slow_first_byte)

Admin endpoints (exist only in this test server):
  GET /_test/requests?session=S     {"requests": [{"endpoint", "scenario", "query", "authorization",
                                    "content_type", "json" | "form", "file", "ended_by"}]}
                                    ("file": the upload's name, content type, WAV sample rate,
                                    channels, bits, duration in ms; "ended_by": "client" when the
                                    client went away before the answer was all sent, else "server")
  GET /_test/disconnects?session=S  {"disconnects": N}  requests the client abandoned mid-answer
  GET /_test/release?session=S      lets held responses go on; {"released": true}
"""

import asyncio
import io
import json
import logging
import struct

from aiohttp import web

import server_launcher

import speech_tone

log = logging.getLogger("openai_audio_server")

SPEECH_RATE = 24000
CHUNK_CHARS = 5
FAULTS = ("slow_first_byte", "error_401", "error_500", "drop", "malformed", "hold")


class Session:
    def __init__(self):
        self.requests: list = []
        self.disconnects = 0
        self.faults = 0
        self.released = asyncio.Event()


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


def error(message, type_, code, status, param=None):
    return web.json_response({"error": {"message": message, "type": type_, "param": param, "code": code}},
                             status=status)


async def fault_for(request: web.Request, session: Session, scenario: str):
    """The fault this request gets (fault_count=N: the session's first N only), after any delay."""
    limit = request.query.get("fault_count")
    if scenario not in FAULTS or (limit is not None and session.faults >= int(limit)):
        return None
    session.faults += 1
    if scenario == "slow_first_byte":
        await asyncio.sleep(int(request.query.get("delay_ms", "3000")) / 1000)
        return None
    return scenario


def common_fault_response(fault):
    if fault == "error_401":
        return error("Incorrect API key provided (test fault).", "invalid_request_error", "invalid_api_key", 401)
    if fault == "error_500":
        return error("The server had an error while processing your request (test fault).", "server_error", None, 500)
    return None


async def speech(request: web.Request):
    store: Store = request.app["store"]
    session_name, scenario = route(request)
    session = store.get(session_name)
    try:
        body = await request.json()
    except Exception:
        return error("We could not parse the JSON body of your request.", "invalid_request_error", None, 400)
    record = {"endpoint": "speech", "scenario": scenario, "query": dict(request.query),
              "authorization": request.headers.get("Authorization"),
              "content_type": request.headers.get("Content-Type"), "json": body, "ended_by": "server"}
    session.requests.append(record)
    if not isinstance(body, dict):
        return error("The body must be a JSON object.", "invalid_request_error", None, 400)
    for field in ("model", "input", "voice"):
        if not isinstance(body.get(field), str) or not body[field]:
            return error(f"Missing required parameter: '{field}'.", "invalid_request_error", None, 400, field)
    if len(body["input"]) > 4096:
        return error("input is longer than 4096 characters.", "invalid_request_error", None, 400, "input")
    if body.get("response_format", "mp3") != "pcm":
        return error("This test server only produces response_format 'pcm'.", "invalid_request_error", None, 400,
                     "response_format")
    fault = await fault_for(request, session, scenario)
    if (response := common_fault_response(fault)) is not None:
        return response
    if fault == "malformed":
        return web.json_response({"object": "not audio", "note": "a JSON body where audio was expected (test fault)"})

    chunk_ms = int(request.query.get("chunk_ms", "5"))
    pcm = speech_tone.encode(body["input"], SPEECH_RATE)
    step = speech_tone.char_bytes(SPEECH_RATE) * CHUNK_CHARS
    resp = web.StreamResponse(headers={"Content-Type": "audio/pcm"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    try:
        for offset in range(0, len(pcm), step):
            await resp.write(pcm[offset:offset + step])
            if offset == 0 and fault == "drop":
                request.transport.close()
                return resp
            if offset == 0 and fault == "hold":
                waiter = asyncio.create_task(session.released.wait())
                while not waiter.done():
                    # Notice a client that went away while held.
                    await asyncio.wait([waiter], timeout=0.05)
                    if request.transport is None or request.transport.is_closing():
                        waiter.cancel()
                        raise ConnectionResetError()
            if chunk_ms:
                await asyncio.sleep(chunk_ms / 1000)
        await resp.write_eof()
    except (ConnectionResetError, asyncio.CancelledError) as e:
        record["ended_by"] = "client"
        session.disconnects += 1
        if isinstance(e, asyncio.CancelledError):
            raise
    return resp


def parse_wav(data: bytes):
    """(sample_rate, channels, bits, pcm bytes) of a PCM WAV, or raise ValueError."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("the file is not a RIFF/WAVE file")
    pos, fmt, pcm = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        chunk = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", chunk[:16])
        elif cid == b"data":
            pcm = chunk
        pos += 8 + size + (size & 1)
    if fmt is None or pcm is None:
        raise ValueError("the WAV file has no fmt or data chunk")
    audio_format, channels, rate, _, _, bits = fmt
    if audio_format != 1 or bits != 16:
        raise ValueError(f"this test server decodes 16-bit PCM WAV only (format {audio_format}, {bits} bits)")
    return rate, channels, bits, pcm


def words_of(text: str, rate_ms: int):
    words, start = [], None
    for i, c in enumerate(text + " "):
        if c != " " and start is None:
            start = i
        elif c == " " and start is not None:
            words.append({"word": text[start:i], "start": start * rate_ms / 1000, "end": i * rate_ms / 1000})
            start = None
    return words


async def transcriptions(request: web.Request):
    store: Store = request.app["store"]
    session_name, scenario = route(request)
    session = store.get(session_name)
    form, upload = {}, None
    try:
        reader = await request.multipart()
        async for part in reader:
            if part.name == "file":
                upload = {"filename": part.filename, "content_type": part.headers.get("Content-Type"),
                          "data": await part.read()}
            else:
                value = await part.text()
                if part.name.endswith("[]"):
                    form.setdefault(part.name, []).append(value)
                else:
                    form[part.name] = value
    except Exception as e:
        return error(f"Could not parse multipart form: {e}", "invalid_request_error", None, 400)
    record = {"endpoint": "transcriptions", "scenario": scenario, "query": dict(request.query), "ended_by": "server",
              "authorization": request.headers.get("Authorization"),
              "content_type": request.headers.get("Content-Type"), "form": form, "file": None}
    session.requests.append(record)
    if upload is None:
        return error("Missing required parameter: 'file'.", "invalid_request_error", None, 400, "file")
    if not form.get("model"):
        return error("Missing required parameter: 'model'.", "invalid_request_error", None, 400, "model")
    try:
        rate, channels, bits, pcm = parse_wav(upload["data"])
    except ValueError as e:
        return error(f"Invalid file format: {e}", "invalid_request_error", None, 400, "file")
    duration_ms = len(pcm) * 1000 // (rate * channels * 2)
    record["file"] = {"filename": upload["filename"], "content_type": upload["content_type"], "sample_rate": rate,
                      "channels": channels, "bits": bits, "duration_ms": duration_ms}
    fault = await fault_for(request, session, scenario)
    if (response := common_fault_response(fault)) is not None:
        return response
    if fault == "drop":
        request.transport.close()
        return web.Response()
    if fault == "malformed":
        return web.Response(text='{"text": "cut off', content_type="application/json")
    if fault == "hold":
        await session.released.wait()

    if channels > 1:
        # The first channel carries the speech (a test uploads mono; keep stereo working anyway).
        frames = len(pcm) // (2 * channels)
        pcm = b"".join(pcm[i * 2 * channels:i * 2 * channels + 2] for i in range(frames))
    raw = speech_tone.decode(pcm, rate)
    # Keep positions: decode per 20 ms segment, so word times say where the speech was.
    per = speech_tone.samples_per_char(rate) * 2
    positioned = "".join(speech_tone.decode(pcm[i:i + per], rate) or " " for i in range(0, len(pcm) - per + 1, per))
    text = " ".join(raw.split())
    response_format = form.get("response_format", "json")
    if response_format == "text":
        return web.Response(text=text + "\n", content_type="text/plain")
    if response_format == "verbose_json":
        if form["model"] != "whisper-1":
            return error(f"response_format 'verbose_json' is not compatible with model '{form['model']}'.",
                         "invalid_request_error", "unsupported_value", 400, "response_format")
        granularities = form.get("timestamp_granularities[]", ["segment"])
        result = {"task": "transcribe", "language": "english", "duration": duration_ms / 1000, "text": text,
                  "segments": [{"id": 0, "start": 0.0, "end": duration_ms / 1000, "text": text}]}
        if "word" in granularities:
            result["words"] = words_of(positioned, speech_tone.CHAR_MS)
        return web.json_response(result)
    if response_format != "json":
        return error(f"Unsupported response_format '{response_format}'.", "invalid_request_error",
                     "unsupported_value", 400, "response_format")
    return web.json_response({"text": text})


async def admin_requests(request: web.Request):
    store: Store = request.app["store"]
    return web.json_response({"requests": store.get(request.query.get("session", "default")).requests})


async def admin_disconnects(request: web.Request):
    store: Store = request.app["store"]
    return web.json_response({"disconnects": store.get(request.query.get("session", "default")).disconnects})


async def admin_release(request: web.Request):
    store: Store = request.app["store"]
    store.get(request.query.get("session", "default")).released.set()
    return web.json_response({"released": True})


def build_app():
    app = web.Application(client_max_size=32 << 20)
    app["store"] = Store()
    app.router.add_get("/_test/requests", admin_requests)
    app.router.add_get("/_test/disconnects", admin_disconnects)
    app.router.add_get("/_test/release", admin_release)
    app.router.add_post("/{prefix:.*}/audio/speech", speech)
    app.router.add_post("/audio/speech", speech)
    app.router.add_post("/{prefix:.*}/audio/transcriptions", transcriptions)
    app.router.add_post("/audio/transcriptions", transcriptions)
    return app


if __name__ == "__main__":
    server_launcher.run(__doc__, build_app)
