#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A Deepgram live-streaming protocol test server for Parley's `deepgram/…` STT stage tests.

usage: deepgram_server.py [--host 127.0.0.1] [--port 0] [--exit-on-stdin-eof] [--log-level L]

Prints the bound port on the first stdout line. It speaks Deepgram's `GET /v1/listen`
WebSocket API (developers.deepgram.com/reference/speech-to-text/listen-streaming):

- Upgrade: `Authorization: Token <key>` is required (else HTTP 401 with a `dg-error` header and
  a JSON body, as Deepgram answers); `encoding=linear16`, `channels=1` and an integer
  `sample_rate` are required of this server (else HTTP 400). Every query item is recorded.
- Client → server: binary audio; text `{"type": "KeepAlive"}`, `{"type": "Finalize"}`,
  `{"type": "CloseStream"}` (recorded in order, with the audio byte count at that moment).
- Server → client, from the scripted recogniser (stt_server_common.py: a word per run of
  non-silent audio, named after its pitch):
    `Results` with `is_final`, `speech_final`, `from_finalize`, `start`, `duration`,
      `channel.alternatives[0].{transcript, confidence, words[{word, start, end, confidence,
      punctuated_word}]}`: interim results (`interim_results=true`) every 100 ms of audio while
      words are open; a final with `speech_final: true` after `endpointing` ms of silence
      (`endpointing=false` turns that off; default 10 ms); a final with `from_finalize: true`
      answering every Finalize (empty when nothing was pending); a last final on CloseStream.
    `SpeechStarted` (`vad_events=true`) at each word onset, `UtteranceEnd` (`utterance_end_ms`)
      after that much silence following a final word, `Metadata` after CloseStream, then a
      1000 close.
  With `smart_format=true`, finals are capitalised and end with a period, as formatting would.
- No audio or text message for ?idle_timeout_ms= (default 10000) closes with 1011 `NET-0001`,
  as Deepgram does after 10 s (what KeepAlive prevents).

Scenarios and admin endpoints: see stt_server_common.py. Here `error_close` closes with 1011
"NET-0000" (Deepgram's error close) after the first result.

  WS /s/<session>/<scenario>/v1/listen      (also /v1/listen: session "default", scenario "ok")
"""

import asyncio
import json
import time
import uuid

from aiohttp import WSMsgType, web

import stt_server_common as common

INTERIM_EVERY_MS = 100


def error_response(status, code, message, request_id):
    body = {"err_code": code, "err_msg": message, "request_id": request_id}
    return web.json_response(body, status=status, headers={"dg-error": message, "dg-request-id": request_id})


class DeepgramSession:
    """One /v1/listen connection: the recogniser plus Deepgram's result rules."""

    def __init__(self, ws, conn, query, request_id):
        self.ws = ws
        self.conn = conn
        self.rate = int(query["sample_rate"])
        self.recognizer = common.ToneRecognizer(self.rate)
        self.request_id = request_id
        self.interim = query.get("interim_results", "false") == "true"
        endpointing = query.get("endpointing", "10")
        self.endpointing = None if endpointing == "false" else int(endpointing) * self.rate // 1000
        self.vad_events = query.get("vad_events", "false") == "true"
        self.smart_format = query.get("smart_format", "false") == "true"
        utterance_end = query.get("utterance_end_ms")
        self.utterance_end = int(utterance_end) * self.rate // 1000 if utterance_end else None
        self.model = query.get("model", "base")
        self.finalized = 0                  # recogniser words already sent in a final
        self.window_start = 0               # samples: where the next result's window starts
        self.last_interim = 0
        self.speaking = False
        self.utterance_open = False         # a final word not yet followed by UtteranceEnd
        self.results_sent = 0

    def seconds(self, samples):
        return round(samples / self.rate, 4)

    def word_json(self, w, final):
        text = w.text(self.rate)
        return {"word": text, "start": self.seconds(w.start), "end": self.seconds(w.end),
                "confidence": 0.99 if final else 0.8, "punctuated_word": text}

    async def results(self, words, final, speech_final=False, from_finalize=False):
        texts = [w.text(self.rate) for w in words]
        transcript = " ".join(texts)
        words_json = [self.word_json(w, final) for w in words]
        if final and self.smart_format and words_json:
            transcript = common.format_text(texts)
            words_json[0]["punctuated_word"] = words_json[0]["word"].capitalize()
            words_json[-1]["punctuated_word"] += "."
        end = self.recognizer.position
        message = {
            "type": "Results",
            "channel_index": [0, 1],
            "duration": self.seconds(end - self.window_start),
            "start": self.seconds(self.window_start),
            "is_final": final,
            "speech_final": speech_final,
            "channel": {"alternatives": [{"transcript": transcript,
                                          "confidence": 0.99 if words else 0.0,
                                          "words": words_json}]},
            "metadata": {"request_id": self.request_id,
                         "model_info": {"name": self.model, "version": "test", "arch": "test"},
                         "model_uuid": "00000000-0000-0000-0000-000000000000"},
            "from_finalize": from_finalize,
        }
        if final:
            self.window_start = end
            self.finalized = len(self.recognizer.words)
            if words:
                self.utterance_open = True
        await self.ws.send_str(common.json_text(message))
        self.results_sent += 1

    async def audio(self, data):
        # Deepgram hears a stream, not messages: the rules run every 10 ms of audio, so what comes
        # back does not depend on how the client cut the audio into messages.
        step = 2 * self.recognizer.block
        for offset in range(0, len(data), step):
            await self.block(data[offset:offset + step])

    async def block(self, data):
        r = self.recognizer
        was_speaking = r.current is not None
        r.feed(data)
        if self.vad_events and r.current is not None and not was_speaking:
            await self.ws.send_str(common.json_text({"type": "SpeechStarted", "channel": [0, 1],
                                                     "timestamp": self.seconds(r.current.start)}))
        pending = r.words[self.finalized:]
        if self.endpointing is not None and pending and r.current is None and r.silence >= self.endpointing:
            await self.results(pending, final=True, speech_final=True)
        elif self.interim and (pending or r.current is not None) \
                and r.position - self.last_interim >= INTERIM_EVERY_MS * self.rate // 1000:
            self.last_interim = r.position
            await self.results(pending + ([r.current] if r.current else []), final=False)
        if self.utterance_end is not None and self.utterance_open and r.current is None \
                and r.silence >= self.utterance_end and self.finalized == len(r.words):
            self.utterance_open = False
            last = r.words[-1].end if r.words else 0
            await self.ws.send_str(common.json_text({"type": "UtteranceEnd", "channel": [0, 1],
                                                     "last_word_end": self.seconds(last)}))

    async def finalize(self, from_finalize):
        self.recognizer.cut()
        await self.results(self.recognizer.words[self.finalized:], final=True, from_finalize=from_finalize)

    async def metadata(self):
        await self.ws.send_str(common.json_text({
            "type": "Metadata", "transaction_key": "deprecated", "request_id": self.request_id,
            "sha256": "0" * 64, "created": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "duration": self.seconds(self.recognizer.position), "channels": 1}))


async def listen(request: web.Request):
    store: common.Store = request.app["store"]
    session_name, scenario = common.split_prefix(request.match_info.get("prefix", ""))
    conn = store.open(request, session_name, scenario)
    request_id = str(uuid.uuid4())
    fault = scenario if conn.faults else "ok"
    query = request.query

    if fault == "slow_first_byte":
        await asyncio.sleep(common.int_query(request, "delay_ms", 3000) / 1000)
    auth = request.headers.get("Authorization", "")
    if fault == "error_401" or not auth.startswith("Token ") or not auth[6:].strip():
        store.server_ended(conn)
        return error_response(401, "INVALID_AUTH", "Invalid credentials.", request_id)
    if fault == "error_500":
        store.server_ended(conn)
        return error_response(500, "INTERNAL_SERVER_ERROR", "Something went wrong. Please try again.", request_id)
    if query.get("encoding") != "linear16" or query.get("channels", "1") != "1" \
            or not query.get("sample_rate", "").isdigit():
        store.server_ended(conn)
        return error_response(400, "Bad Request", "this test server takes encoding=linear16, channels=1 and "
                                                  "an integer sample_rate", request_id)

    ws = web.WebSocketResponse(max_msg_size=8 * 1024 * 1024)
    ws.headers["dg-request-id"] = request_id
    try:
        await ws.prepare(request)
    except ConnectionResetError:
        store.client_ended(conn, None)  # the client gave up during the upgrade (a connect timeout)
        return ws
    session = DeepgramSession(ws, conn, query, request_id)
    idle = common.int_query(request, "idle_timeout_ms", 10000) / 1000
    fault_done = False

    async def fault_after_first_result():
        """Runs the scenario's fault once the client has seen a result; True: stop serving."""
        nonlocal fault_done
        if fault_done or session.results_sent == 0 or fault in ("ok", "slow_first_byte"):
            return False
        fault_done = True
        if fault == "drop":
            store.server_ended(conn)
            common.abrupt_close(request)
            return True
        if fault == "malformed":
            await ws.send_str('{"type": "Results", "channel": {"alternatives": [{"transcript": "thr')
            return False
        if fault == "error_close":
            store.server_ended(conn)
            await ws.close(code=1011, message=b"NET-0000")
            return True
        return False

    try:
        while True:
            msg = await common.receive(ws, idle)
            if msg is None:
                store.server_ended(conn)
                await ws.close(code=1011, message=b"NET-0001")
                break
            if msg.type == WSMsgType.BINARY:
                conn.audio(len(msg.data), session.rate)
                await session.audio(msg.data)
                if await fault_after_first_result():
                    break
            elif msg.type == WSMsgType.TEXT:
                try:
                    kind = json.loads(msg.data).get("type")
                except (ValueError, AttributeError):
                    kind = "(not JSON)"
                conn.control(kind, msg.data)
                if kind == "Finalize":
                    await session.finalize(from_finalize=True)
                    if await fault_after_first_result():
                        break
                elif kind == "CloseStream":
                    await asyncio.sleep(common.int_query(request, "close_delay_ms", 0) / 1000)
                    await session.finalize(from_finalize=False)
                    await session.metadata()
                    store.server_ended(conn)
                    await ws.close(code=1000)
                    break
            elif common.is_end(msg):
                store.client_ended(conn, ws.close_code)
                break
    except (ConnectionResetError, asyncio.CancelledError) as e:
        store.client_ended(conn, None)
        if isinstance(e, asyncio.CancelledError):
            raise
    if conn.record["ended_by"] is None:
        store.client_ended(conn, ws.close_code)
    return ws


def build_app():
    app = web.Application()
    app.router.add_get("/{prefix:.*}/v1/listen", listen)
    app.router.add_get("/v1/listen", listen)
    return app


if __name__ == "__main__":
    common.serve_main(__doc__, build_app)
