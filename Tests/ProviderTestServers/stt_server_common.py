# SPDX-License-Identifier: Apache-2.0
"""What the streaming speech-to-text protocol test servers (deepgram_server.py,
assemblyai_server.py) share: the scripted recogniser, the per-connection records behind the
admin endpoints, the fault scenarios and the launcher.

The recogniser turns the audio a client really sent into words, so a test can check that the
audio arrived, whole and in order: every run of non-silent audio is one word, named after the
pitch of the tone in it (100 Hz steps: 300 Hz is "three", 1200 Hz "twelve"; outside 100…2000 Hz,
"tone<Hz>"). Times are audio times (samples received), never wall-clock times, so results are
the same however fast the client sends.

Scenarios (the path is /s/<session>/<scenario>/…, as in openai_server.py):
  ok               the provider's normal behaviour
  slow_first_byte  waits ?delay_ms= (default 3000) before answering the WebSocket upgrade
  error_401        HTTP 401 on the upgrade, with the provider's JSON error body
  error_500        HTTP 500 on the upgrade
  drop             after the first result, the TCP connection is closed (no close frame)
  malformed        after the first result, one text message of cut-off JSON, then as ok
  error_close      after the first result, the provider's error close (code and reason as documented)
Query items every scenario takes (they are never forwarded to the protocol handlers):
  fault_count=N    only the first N connections of the session fault; later ones behave as ok
  close_delay_ms=N wait this long before answering the client's end-of-stream message

Admin endpoints:
  GET /_test/requests?session=S     {"requests": [connection record…]} in connection order: scenario,
                                    path, query (dict), query_items ([[k, v]…]), authorization,
                                    control ([{"type", "raw", "audio_bytes_before"}…] in order),
                                    audio_bytes, audio_messages, min_chunk_ms, max_chunk_ms,
                                    ended_by ("client", "server" or null while open), client_close_code
  GET /_test/disconnects?session=S  {"disconnects": N}  connections the client ended (close frame
                                    or dropped TCP) before the server ended them
"""

import asyncio
import json
import logging

from aiohttp import WSMsgType, web

import server_launcher

log = logging.getLogger("stt_server")

SCENARIOS = {"ok", "slow_first_byte", "error_401", "error_500", "drop", "malformed", "error_close"}
# Query items that steer the test server, not the protocol.
TEST_QUERY_ITEMS = {"fault_count", "close_delay_ms", "delay_ms", "idle_timeout_ms"}

NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
                "nineteen", "twenty"]


def tone_word(frequency):
    step = int(round(frequency / 100.0))
    if 1 <= step <= 20:
        return NUMBER_WORDS[step]
    return f"tone{int(round(frequency))}"


class Word:
    def __init__(self, start, end, crossings, voiced):
        self.start = start          # samples
        self.end = end              # samples (just after the last voiced block)
        self.crossings = crossings  # zero crossings inside voiced blocks
        self.voiced = voiced        # voiced samples

    def text(self, rate):
        if self.voiced == 0:
            return "tone0"
        return tone_word(self.crossings / 2.0 / (self.voiced / rate))


class ToneRecognizer:
    """Audio in (16-bit little-endian mono PCM), words out: see the module docstring."""

    HYSTERESIS = 200

    def __init__(self, rate, threshold=500, word_gap_ms=60, block_ms=10):
        self.rate = rate
        self.threshold = threshold
        self.block = max(1, rate * block_ms // 1000)
        self.word_gap = rate * word_gap_ms // 1000
        self.position = 0          # samples processed
        self.words = []            # completed words, in order
        self.current = None        # the word being spoken
        self.silence = 0           # samples of silence since the last voiced block
        self.last_voiced_end = 0   # position just after the last voiced block
        self._pending = b""
        self._sign = 0             # sign of the last sample beyond the hysteresis (zero-crossing continuity)

    def feed(self, data):
        data = self._pending + data
        usable = len(data) // (2 * self.block) * (2 * self.block)
        self._pending = data[usable:]
        for offset in range(0, usable, 2 * self.block):
            self._block(memoryview(data)[offset:offset + 2 * self.block].cast("h"))

    def _block(self, samples):
        n = len(samples)
        energy = sum(s * s for s in samples) / n
        if energy >= self.threshold * self.threshold:
            if self.current is None:
                self._sign = 0
            crossings = 0
            # Zero crossings with hysteresis: a resampler's ringing around a tone's onset (a few
            # LSB alternating at the Nyquist rate) must not count as pitch.
            for s in samples:
                sign = 1 if s > self.HYSTERESIS else -1 if s < -self.HYSTERESIS else 0
                if sign:
                    if self._sign and sign != self._sign:
                        crossings += 1
                    self._sign = sign
            if self.current is None:
                self.current = Word(self.position, self.position + n, crossings, n)
            else:
                self.current.end = self.position + n
                self.current.crossings += crossings
                self.current.voiced += n
            self.silence = 0
            self.last_voiced_end = self.position + n
        else:
            self.silence += n
            if self.current is not None and self.silence >= self.word_gap:
                self.cut()
        self.position += n

    def cut(self):
        """Ends the word being spoken now (a finalize request)."""
        if self.current is not None:
            self.words.append(self.current)
            self.current = None

    def seconds(self, samples):
        return samples / self.rate


def format_text(words):
    """What the providers' formatting (smart_format, format_turns) does to the scripted words."""
    text = " ".join(words)
    return (text[:1].upper() + text[1:] + ".") if text else text


class Connection:
    """The record of one WebSocket connection, shown by /_test/requests while it runs."""

    def __init__(self, request, session, scenario, faults):
        self.session = session
        self.scenario = scenario
        self.faults = faults
        self.record = {
            "scenario": scenario,
            "faults": faults,
            "path": request.path,
            "query": {k: v for k, v in request.query.items()},
            "query_items": [[k, v] for k, v in request.query.items()],
            "authorization": request.headers.get("Authorization"),
            "control": [],
            "audio_bytes": 0,
            "audio_messages": 0,
            "min_chunk_ms": None,
            "max_chunk_ms": None,
            "ended_by": None,
            "client_close_code": None,
        }

    def audio(self, nbytes, rate):
        r = self.record
        r["audio_bytes"] += nbytes
        r["audio_messages"] += 1
        ms = nbytes / 2 / rate * 1000
        r["min_chunk_ms"] = ms if r["min_chunk_ms"] is None else min(r["min_chunk_ms"], ms)
        r["max_chunk_ms"] = ms if r["max_chunk_ms"] is None else max(r["max_chunk_ms"], ms)

    def control(self, kind, raw):
        self.record["control"].append({"type": kind, "raw": raw, "audio_bytes_before": self.record["audio_bytes"]})


class Store:
    def __init__(self):
        self.requests = {}      # session -> [record]
        self.connections = {}   # session -> count
        self.disconnects = {}   # session -> count

    def open(self, request, session, scenario):
        index = self.connections.get(session, 0)
        self.connections[session] = index + 1
        limit = request.query.get("fault_count")
        faults = scenario != "ok" and (limit is None or index < int(limit))
        conn = Connection(request, session, scenario, faults)
        self.requests.setdefault(session, []).append(conn.record)
        return conn

    def client_ended(self, conn, code):
        if conn.record["ended_by"] is None:
            conn.record["ended_by"] = "client"
            conn.record["client_close_code"] = code
            self.disconnects[conn.session] = self.disconnects.get(conn.session, 0) + 1

    def server_ended(self, conn):
        if conn.record["ended_by"] is None:
            conn.record["ended_by"] = "server"


def split_prefix(prefix):
    parts = [p for p in prefix.split("/") if p]
    if len(parts) >= 3 and parts[0] == "s":
        return parts[1], parts[2]
    return "default", "ok"


async def admin_requests(request):
    store = request.app["store"]
    return web.json_response({"requests": store.requests.get(request.query.get("session", "default"), [])})


async def admin_disconnects(request):
    store = request.app["store"]
    return web.json_response({"disconnects": store.disconnects.get(request.query.get("session", "default"), 0)})


def int_query(request, name, default):
    try:
        return int(request.query.get(name, default))
    except ValueError:
        return default


async def receive(ws, timeout):
    """The next message, or None after `timeout` seconds without one."""
    try:
        return await asyncio.wait_for(ws.receive(), timeout)
    except asyncio.TimeoutError:
        return None


def abrupt_close(request):
    """Closes the TCP connection without a WebSocket close frame (the `drop` scenario)."""
    transport = request.transport
    if transport is not None:
        transport.close()


def is_end(msg):
    return msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)


def serve_main(doc, build_app):
    """Serves `build_app()` with the STT servers' shared store and admin endpoints, through the
    launcher every provider test server uses (server_launcher.py)."""
    def app_with_admin():
        app = build_app()
        app["store"] = Store()
        app.router.add_get("/_test/requests", admin_requests)
        app.router.add_get("/_test/disconnects", admin_disconnects)
        return app

    server_launcher.run(doc, app_with_admin)


def json_text(obj):
    return json.dumps(obj, separators=(",", ":"))
