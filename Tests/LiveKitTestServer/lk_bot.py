# SPDX-License-Identifier: Apache-2.0
"""The scripted peer participant ("bot", default identity ``test-bot``).

A server-side room member without WebRTC: it appears to clients like any remote participant
(ParticipantInfo in JoinResponse/ParticipantUpdate, packets carrying its identity and sid on the
subscriber ``_reliable``/``_lossy`` channels), and it reacts to what it receives:

* UserPacket → echoed back to the sender only, same kind and topic, payload ``b"echo:" + payload``
  (packets from another bot are not echoed, to avoid loops);
* RPC v1 request addressed to it → RpcAck at once, then RpcResponse (livekit-protocol.md §9):
    - method ``fail``      → error {code 1500 APPLICATION_ERROR, message "bot failure", data = payload}
    - method ``silent``    → ack only, never a response (the caller's response timeout)
    - method ``ignore``    → nothing at all (the caller's ack timeout, 1501/1502 on its side)
    - method ``slow:<ms>`` → ack, then the normal response after <ms> milliseconds
    - request ``version`` != 1 → error 1404 UNSUPPORTED_VERSION (after the ack)
    - payload over 15360 bytes → error 1402 REQUEST_TOO_LARGE (after the ack)
    - any other method     → payload ``method + ":" + payload``
* RpcAck / RpcResponse → complete the bot's own calls (``call_rpc``);
* stream header/chunk/trailer → reassembled; a finished stream is recorded with its text.

Everything received is kept (``received``, newest last, at most 500) for /_test/bot/received.
"""
import asyncio
import base64
import time
import uuid
from collections import deque

from livekit.protocol import models

from lk_room import Member, to_dict

MAX_RPC_PAYLOAD = 15360
MAX_CHUNK = 15000


def split_utf8(data: bytes, size: int) -> list[bytes]:
    """Chunks of at most ``size`` bytes that never split a UTF-8 sequence."""
    out, i = [], 0
    while i < len(data):
        end = min(i + size, len(data))
        while end < len(data) and end > i and (data[end] & 0xC0) == 0x80:
            end -= 1
        out.append(data[i:end])
        i = end
    return out


class Bot(Member):
    is_bot = True

    def __init__(self, manager, room, info):
        super().__init__(manager, room, info)
        self.received: deque = deque(maxlen=500)
        self.streams: dict[str, dict] = {}
        self.pending_rpc: dict[str, dict] = {}
        self.seq = 0

    # Receiving

    def deliver_data(self, kind, dp, sender):
        which = dp.WhichOneof("value")
        entry = {"time": time.time(), "kind": models.DataPacket.Kind.Name(kind), "type": which,
                 "from": dp.participant_identity, "from_sid": dp.participant_sid, "packet": to_dict(dp)}
        if which == "user":
            entry["topic"] = dp.user.topic
            entry["payload"] = dp.user.payload.decode("utf-8", "replace")
            entry["payload_b64"] = base64.b64encode(dp.user.payload).decode()
        self.received.append(entry)
        loop = asyncio.get_event_loop()
        if which == "user" and sender is not None and not sender.is_bot:
            loop.call_soon(self._echo, kind, dp)
        elif which == "rpc_request" and self.identity in dp.destination_identities:
            asyncio.ensure_future(self._answer_rpc(dp))
        elif which == "rpc_ack":
            call = self.pending_rpc.get(dp.rpc_ack.request_id)
            if call:
                call["ack"].set()
        elif which == "rpc_response":
            call = self.pending_rpc.get(dp.rpc_response.request_id)
            if call and not call["done"].done():
                call["done"].set_result(dp.rpc_response)
        elif which in ("stream_header", "stream_chunk", "stream_trailer"):
            self._stream_part(which, dp)

    def _stream_part(self, which, dp):
        if which == "stream_header":
            h = dp.stream_header
            self.streams[h.stream_id] = {"stream_id": h.stream_id, "topic": h.topic, "mime_type": h.mime_type,
                                         "attributes": dict(h.attributes), "from": dp.participant_identity,
                                         "chunks": {}, "header": to_dict(h)}
        elif which == "stream_chunk":
            s = self.streams.get(dp.stream_chunk.stream_id)
            if s is not None:
                s["chunks"][dp.stream_chunk.chunk_index] = dp.stream_chunk.content
        else:
            s = self.streams.pop(dp.stream_trailer.stream_id, None)
            if s is not None:
                data = b"".join(s["chunks"][i] for i in sorted(s["chunks"]))
                s["attributes"].update(dict(dp.stream_trailer.attributes))
                done = {"time": time.time(), "type": "stream", "stream_id": s["stream_id"], "topic": s["topic"],
                        "mime_type": s["mime_type"], "from": s["from"], "attributes": s["attributes"],
                        "reason": dp.stream_trailer.reason, "chunks": len(s["chunks"]), "header": s["header"]}
                if s["mime_type"].startswith("text/"):
                    done["text"] = data.decode("utf-8", "replace")
                else:
                    done["data_b64"] = base64.b64encode(data).decode()
                self.received.append(done)

    # Sending

    def send(self, kind: int, dp: models.DataPacket) -> int:
        dp.participant_identity = self.identity
        dp.participant_sid = self.sid
        dp.kind = kind
        if kind == models.DataPacket.RELIABLE:
            self.seq += 1
            dp.sequence = self.seq
        if dp.WhichOneof("value") == "user":
            dp.user.participant_identity = self.identity
            dp.user.participant_sid = self.sid
        return self.manager.route_data(self.room, self, kind, dp)

    def _echo(self, kind, dp):
        if self.closed:
            return
        out = models.DataPacket(destination_identities=[dp.participant_identity])
        out.user.payload = b"echo:" + dp.user.payload
        if dp.user.HasField("topic"):
            out.user.topic = dp.user.topic
        self.send(kind, out)

    def send_user(self, to: list, payload: bytes, topic: str | None, kind: int) -> int:
        dp = models.DataPacket(destination_identities=to)
        dp.user.payload = payload
        if topic is not None:
            dp.user.topic = topic
        return self.send(kind, dp)

    def send_text_stream(self, to: list, topic: str, text: str, attributes: dict | None = None,
                         chunk_size: int = MAX_CHUNK, trailer_attributes: dict | None = None) -> str:
        chunk_size = max(1, min(chunk_size, MAX_CHUNK))
        data = text.encode("utf-8")
        stream_id = str(uuid.uuid4())
        header = models.DataPacket(destination_identities=to)
        h = header.stream_header
        h.stream_id = stream_id
        h.timestamp = int(time.time() * 1000)
        h.topic = topic
        h.mime_type = "text/plain"
        h.total_length = len(data)
        h.attributes.update(attributes or {})
        h.text_header.operation_type = models.DataStream.CREATE
        self.send(models.DataPacket.RELIABLE, header)
        for index, part in enumerate(split_utf8(data, chunk_size)):
            chunk = models.DataPacket(destination_identities=to)
            chunk.stream_chunk.stream_id = stream_id
            chunk.stream_chunk.chunk_index = index
            chunk.stream_chunk.content = part
            self.send(models.DataPacket.RELIABLE, chunk)
        trailer = models.DataPacket(destination_identities=to)
        trailer.stream_trailer.stream_id = stream_id
        trailer.stream_trailer.reason = ""
        trailer.stream_trailer.attributes.update(trailer_attributes or {})
        self.send(models.DataPacket.RELIABLE, trailer)
        return stream_id

    async def _answer_rpc(self, dp):
        req = dp.rpc_request
        caller = dp.participant_identity
        method = req.method
        if method == "ignore":
            return
        ack = models.DataPacket(destination_identities=[caller])
        ack.rpc_ack.request_id = req.id
        self.send(models.DataPacket.RELIABLE, ack)
        if method == "silent":
            return
        resp = models.DataPacket(destination_identities=[caller])
        resp.rpc_response.request_id = req.id
        if req.version != 1:
            resp.rpc_response.error.code = 1404
            resp.rpc_response.error.message = "Unsupported RPC version"
        elif len(req.payload.encode()) > MAX_RPC_PAYLOAD:
            resp.rpc_response.error.code = 1402
            resp.rpc_response.error.message = "Request payload too large"
        elif method == "fail":
            resp.rpc_response.error.code = 1500
            resp.rpc_response.error.message = "bot failure"
            resp.rpc_response.error.data = req.payload
        else:
            if method.startswith("slow:"):
                try:
                    await asyncio.sleep(int(method[5:]) / 1000)
                except ValueError:
                    pass
            resp.rpc_response.payload = f"{method}:{req.payload}"
        if not self.closed:
            self.send(models.DataPacket.RELIABLE, resp)

    async def call_rpc(self, to: str, method: str, payload: str, response_timeout_ms: int = 10000,
                       ack_timeout_ms: int = 7000) -> dict:
        """RPC v1 from the bot; returns {"acked", "payload"} or {"acked", "error": {...}}."""
        request_id = str(uuid.uuid4())
        loop = asyncio.get_event_loop()
        call = {"ack": asyncio.Event(), "done": loop.create_future()}
        self.pending_rpc[request_id] = call
        dp = models.DataPacket(destination_identities=[to])
        dp.rpc_request.id = request_id
        dp.rpc_request.method = method
        dp.rpc_request.payload = payload
        dp.rpc_request.response_timeout_ms = response_timeout_ms
        dp.rpc_request.version = 1
        started = time.time()
        try:
            if self.send(models.DataPacket.RELIABLE, dp) == 0:
                return {"request_id": request_id, "acked": False,
                        "error": {"code": 1401, "message": "Recipient not found"}}
            try:
                await asyncio.wait_for(call["ack"].wait(), ack_timeout_ms / 1000)
            except asyncio.TimeoutError:
                return {"request_id": request_id, "acked": False,
                        "error": {"code": 1501, "message": "Connection timeout"}}
            remaining = max(0.0, response_timeout_ms / 1000 - (time.time() - started))
            try:
                resp = await asyncio.wait_for(asyncio.shield(call["done"]), remaining)
            except asyncio.TimeoutError:
                return {"request_id": request_id, "acked": True,
                        "error": {"code": 1502, "message": "Response timeout"}}
            if resp.WhichOneof("value") == "error":
                return {"request_id": request_id, "acked": True, "error": to_dict(resp.error)}
            return {"request_id": request_id, "acked": True, "payload": resp.payload}
        finally:
            self.pending_rpc.pop(request_id, None)

    def disconnect(self, reason, action=0):
        self.manager.detach(self, reason)

    def snapshot(self) -> dict:
        d = super().snapshot()
        d["received_count"] = len(self.received)
        return d
