#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An AssemblyAI Universal-Streaming (v3) protocol test server for Parley's `assemblyai/…`
STT stage tests.

usage: assemblyai_server.py [--host 127.0.0.1] [--port 0] [--exit-on-stdin-eof] [--log-level L]

Prints the bound port on the first stdout line. It speaks the v3 WebSocket API
(assemblyai.com/docs/api-reference/streaming-api, …/streaming/message-sequence,
…/streaming/common-session-errors-and-closures):

- Upgrade: the API key in `Authorization` (the bare key, no scheme) or a `token` query item;
  `sample_rate` (integer) is required, `encoding` must be pcm_s16le (the default) and
  `speech_model` must be set. Every query item is recorded. A refused session is upgraded and
  then ended as AssemblyAI ends it: an `Error` message `{"type": "Error", "error_code", "error"}`
  followed by a close with that code (1008 for authorisation, 3006 for bad parameters).
- Server → client: `Begin {id, expires_at}` first; `Turn {turn_order, turn_is_formatted,
  end_of_turn, transcript, end_of_turn_confidence, words[{start, end, text, confidence,
  word_is_final}] (ms), utterance}` after every audio message that changed the turn; at the
  end of a turn (`min_end_of_turn_silence_when_confident` ms of silence, default 400, or a
  ForceEndpoint) a Turn with `end_of_turn: true`, and with `format_turns=true` a second one with
  `turn_is_formatted: true` (capitalised, with a period); `Termination {audio_duration_seconds,
  session_duration_seconds}` after Terminate, then a 1000 close.
- Client → server: binary audio, each message 50…1000 ms long (else `Error` 3007 "Input
  duration violation" and a 3007 close, as documented); text `{"type": "ForceEndpoint"}`,
  `{"type": "Terminate"}`, `{"type": "KeepAlive"}`, `{"type": "UpdateConfiguration", …}`
  (recorded in order, with the audio byte count at that moment); text that is not JSON is
  `Error` 3006.

Scenarios and admin endpoints: see stt_server_common.py. Here `error_close` is `Error` 3005
"Session Cancelled: An error occurred" and a 3005 close after the first result.

  WS /s/<session>/<scenario>/v3/ws      (also /v3/ws: session "default", scenario "ok")
"""

import asyncio
import json
import time
import uuid

from aiohttp import WSMsgType, web

import stt_server_common as common


class AssemblyAISession:
    """One /v3/ws connection: the recogniser plus v3's turn rules."""

    def __init__(self, ws, conn, query):
        self.ws = ws
        self.conn = conn
        self.rate = int(query["sample_rate"])
        self.recognizer = common.ToneRecognizer(self.rate)
        self.format_turns = query.get("format_turns", "false") == "true"
        self.end_silence = int(query.get("min_end_of_turn_silence_when_confident", "400")) * self.rate // 1000
        self.turn_order = 0
        self.turn_start = 0          # index of the turn's first word in recognizer.words
        self.results_sent = 0
        self.partial_words = 0      # completed words the last partial showed
        self.started = time.monotonic()

    def ms(self, samples):
        return int(round(samples * 1000 / self.rate))

    def turn_words(self):
        r = self.recognizer
        return r.words[self.turn_start:], r.current

    async def turn(self, end_of_turn, formatted):
        done, current = self.turn_words()
        texts = [w.text(self.rate) for w in done]
        words = [{"start": self.ms(w.start), "end": self.ms(w.end), "text": t, "confidence": 0.95,
                  "word_is_final": True} for w, t in zip(done, texts)]
        if current is not None:
            words.append({"start": self.ms(current.start), "end": self.ms(current.end),
                          "text": current.text(self.rate), "confidence": 0.6, "word_is_final": False})
        transcript = common.format_text(texts) if formatted else " ".join(texts)
        if formatted:
            for w, t in zip(words, transcript.split(" ")):
                w["text"] = t
        await self.ws.send_str(common.json_text({
            "turn_order": self.turn_order, "turn_is_formatted": formatted, "end_of_turn": end_of_turn,
            "transcript": transcript, "end_of_turn_confidence": 0.9 if end_of_turn else 0.01,
            "words": words, "utterance": transcript if end_of_turn else "", "type": "Turn"}))
        self.results_sent += 1

    async def end_turn(self):
        self.recognizer.cut()
        if not self.recognizer.words[self.turn_start:]:
            return
        await self.turn(end_of_turn=True, formatted=False)
        if self.format_turns:
            await self.turn(end_of_turn=True, formatted=True)
        self.turn_order += 1
        self.turn_start = len(self.recognizer.words)
        self.partial_words = 0

    async def audio(self, data):
        # Turns end on the audio stream, every 10 ms of it (not per message, so how the client
        # cut the audio does not matter); a partial goes out per message when the turn changed.
        r = self.recognizer
        before = r.position
        step = 2 * r.block
        for offset in range(0, len(data), step):
            r.feed(data[offset:offset + step])
            done, current = self.turn_words()
            if done and current is None and r.silence >= self.end_silence:
                await self.end_turn()
        done, current = self.turn_words()
        if (done or current is not None) and (r.last_voiced_end > before or len(done) != self.partial_words):
            self.partial_words = len(done)
            await self.turn(end_of_turn=False, formatted=False)


async def refuse(ws, store, conn, code, text):
    await ws.send_str(common.json_text({"type": "Error", "error_code": code, "error": text}))
    store.server_ended(conn)
    await ws.close(code=code, message=text.encode()[:123])


async def stream(request: web.Request):
    store: common.Store = request.app["store"]
    session_name, scenario = common.split_prefix(request.match_info.get("prefix", ""))
    conn = store.open(request, session_name, scenario)
    fault = scenario if conn.faults else "ok"
    query = request.query

    if fault == "slow_first_byte":
        await asyncio.sleep(common.int_query(request, "delay_ms", 3000) / 1000)
    if fault == "error_401":
        store.server_ended(conn)
        return web.json_response({"error": "Invalid API key"}, status=401)
    if fault == "error_500":
        store.server_ended(conn)
        return web.json_response({"error": "Internal server error"}, status=500)

    ws = web.WebSocketResponse(max_msg_size=8 * 1024 * 1024)
    try:
        await ws.prepare(request)
    except ConnectionResetError:
        store.client_ended(conn, None)  # the client gave up during the upgrade (a connect timeout)
        return ws
    if not request.headers.get("Authorization", "").strip() and not query.get("token"):
        await refuse(ws, store, conn, 1008, "Unauthorized Connection: Missing Authorization header")
        return ws
    if not query.get("sample_rate", "").isdigit() or query.get("encoding", "pcm_s16le") != "pcm_s16le" \
            or not query.get("speech_model"):
        await refuse(ws, store, conn, 3006, "Invalid Query Parameter: this test server takes an integer "
                                             "sample_rate, encoding=pcm_s16le and a speech_model")
        return ws

    session = AssemblyAISession(ws, conn, query)
    await ws.send_str(common.json_text({"type": "Begin", "id": str(uuid.uuid4()),
                                        "expires_at": int(time.time()) + 3 * 3600}))
    fault_done = False

    async def fault_after_first_result():
        nonlocal fault_done
        if fault_done or session.results_sent == 0 or fault in ("ok", "slow_first_byte"):
            return False
        fault_done = True
        if fault == "drop":
            store.server_ended(conn)
            common.abrupt_close(request)
            return True
        if fault == "malformed":
            await ws.send_str('{"turn_order": 0, "end_of_turn": false, "transcript": "thr')
            return False
        if fault == "error_close":
            await refuse(ws, store, conn, 3005, "Session Cancelled: An error occurred")
            return True
        return False

    try:
        while True:
            msg = await ws.receive()
            if msg.type == WSMsgType.BINARY:
                conn.audio(len(msg.data), session.rate)
                ms = len(msg.data) / 2 / session.rate * 1000
                if not 50 <= ms <= 1000:
                    await refuse(ws, store, conn, 3007,
                                 f"Input duration violation: {ms:.0f} ms. Expected between 50 and 1000 ms")
                    break
                await session.audio(msg.data)
                if await fault_after_first_result():
                    break
            elif msg.type == WSMsgType.TEXT:
                try:
                    kind = json.loads(msg.data).get("type")
                except (ValueError, AttributeError):
                    conn.control("(not JSON)", msg.data)
                    await refuse(ws, store, conn, 3006, f"Invalid JSON: {msg.data[:60]}")
                    break
                conn.control(kind, msg.data)
                if kind == "ForceEndpoint":
                    await session.end_turn()
                    if await fault_after_first_result():
                        break
                elif kind == "Terminate":
                    await asyncio.sleep(common.int_query(request, "close_delay_ms", 0) / 1000)
                    await session.end_turn()
                    await ws.send_str(common.json_text({
                        "type": "Termination",
                        "audio_duration_seconds": round(session.recognizer.position / session.rate, 3),
                        "session_duration_seconds": round(time.monotonic() - session.started, 3)}))
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
    app.router.add_get("/{prefix:.*}/v3/ws", stream)
    app.router.add_get("/v3/ws", stream)
    return app


if __name__ == "__main__":
    common.serve_main(__doc__, build_app)
