#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Acceptance test of the LiveKit test server with a real (aiortc + aiohttp) client and worker.

usage: .test-peers/venv/bin/python Tests/LiveKitTestServer/selftest.py [-v] [-k NAME]

Starts server.py (--port 0) as a subprocess and runs, in order: token/upgrade checks, a join that
publishes a 440 Hz sine and hears it echoed back (audible and at the right pitch), data with the
scripted bot (user packet echo, RPC both ways incl. the "fail" error, text streams both ways,
reliable sequence de-duplication, Twirp SendData), pings and muted pongs, a signal drop followed
by a resume (ICE restart on both PCs, media and data still flowing), an unknown-sid resume,
duplicate identity, server LeaveRequest faults, two participants' audio tracks (440/660 Hz, echo on)
added to data-only subscriber PCs in one offer or during a pending one, and an agent worker that registers, gets an
explicit dispatch, joins with the job token, reports running then success; plus job failure when
the agent leaves, admin termination and automatic dispatch. Tokens come from livekit-api's
AccessToken, an implementation independent of the server's. Exit status 0 when all pass.
"""
import argparse
import array
import asyncio
import base64
import fractions
import json
import math
import os
import subprocess
import sys
import time
import traceback
import uuid
import warnings

warnings.filterwarnings("ignore")
sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import aiohttp  # noqa: E402
import av  # noqa: E402
from aiortc import RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack  # noqa: E402
from livekit import api  # noqa: E402
from livekit.protocol import agent, models, rtc  # noqa: E402

import lk_ice  # noqa: E402  (the same aiortc ICE patches: loopback, restart, trickle helpers)

lk_ice.install(loopback=True)

KEY, SECRET = "devkey", "secret-for-the-selftest-0123456789"
VERBOSE = False


def say(*a):
    if VERBOSE:
        print("   ", *a, flush=True)


class Fail(AssertionError):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def token(identity, room, ttl=600, kind=None, attributes=None, **grants):
    g = dict(room_join=True, room=room)
    g.update(grants)
    t = api.AccessToken(KEY, SECRET).with_grants(api.VideoGrants(**g)).with_ttl(
        __import__("datetime").timedelta(seconds=ttl))
    if identity is not None:
        t = t.with_identity(identity)
    if kind:
        t = t.with_kind(kind)
    if attributes:
        t = t.with_attributes(attributes)
    return t.to_jwt()


def raw_token(claims):
    """A hand-made HS256 JWT, for claims livekit-api refuses to build (e.g. no identity)."""
    import hashlib
    import hmac

    def b64(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    now = int(time.time())
    body = {"iss": KEY, "nbf": now, "exp": now + 600, **claims}
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(body).encode())
    return head + "." + b64(hmac.new(SECRET.encode(), head.encode(), hashlib.sha256).digest())


def admin_token(room):
    return api.AccessToken(KEY, SECRET).with_grants(api.VideoGrants(room_admin=True, room=room, room_create=True,
                                                                   room_list=True)).to_jwt()


# Audio helpers

class SineTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, freq=440.0, amplitude=0.3):
        super().__init__()
        self.freq, self.amp = freq, amplitude
        self.n = 0
        self.start = None

    async def recv(self):
        if self.start is None:
            self.start = time.time()
        target = self.start + self.n / 48000
        delay = target - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        samples = array.array("h", (int(self.amp * 32767 * math.sin(2 * math.pi * self.freq * (self.n + i) / 48000))
                                    for i in range(960)))
        frame = av.AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = 48000
        frame.pts = self.n
        frame.time_base = fractions.Fraction(1, 48000)
        self.n += 960
        return frame


class AudioProbe:
    """Consumes a received track; measures level and pitch of the first channel."""

    def __init__(self, track):
        self.track = track
        self.frames = 0
        self.rms = []
        self.freqs = []
        self.task = asyncio.ensure_future(self.run())

    async def run(self):
        try:
            while True:
                frame = await self.track.recv()
                self.frames += 1
                if frame.format.name != "s16":
                    continue
                ch = len(frame.layout.channels)
                data = array.array("h", bytes(frame.planes[0])[: frame.samples * ch * 2])
                mono = data[::ch]
                if not mono:
                    continue
                rms = math.sqrt(sum(s * s for s in mono) / len(mono)) / 32768
                self.rms.append(rms)
                if rms > 0.02:
                    crossings = sum(1 for a, b in zip(mono, mono[1:]) if (a < 0) != (b < 0))
                    self.freqs.append(crossings / 2 / (len(mono) / frame.sample_rate))
        except (MediaStreamError, asyncio.CancelledError):
            pass

    def audible(self, last=50):
        rms = self.rms[-last:]
        freqs = self.freqs[-last:]
        if not rms or not freqs:
            return 0.0, 0.0
        freqs = sorted(freqs)
        return max(rms), freqs[len(freqs) // 2]


# The client

class Client:
    """A minimal LiveKit v0 client: signal WS, subscriber PC (answers), publisher PC (offers)."""

    def __init__(self, base, tok, name="client", protocol=16, trickle=True, auto_subscribe=True):
        self.base = base
        self.token = tok
        self.name = name
        self.protocol = protocol
        self.trickle = trickle
        self.auto_subscribe = auto_subscribe
        self.http = aiohttp.ClientSession()
        self.ws = None
        self.join = None
        self.sid = None
        self.sub = None
        self.pub = None
        self.sub_dcs = {}
        self.pub_dcs = {}
        self.messages = []           # every SignalResponse
        self.events = asyncio.Queue()
        self.packets = []            # DataPackets received on the subscriber channels
        self.packet_event = asyncio.Event()
        self.probes = {}             # track sid -> AudioProbe
        self.track_sids = {}         # mid -> track sid (from mid_to_track_id)
        self.offer_id = 0
        self.pending_answer = None
        self.pub_restart = False
        self.seq = 0
        self.reader = None
        self.pinger = None
        self.pongs = []
        self.closed_by_server = asyncio.Event()
        self.leave = None
        self.sine = None
        self.rpc_handlers = {"ping": lambda payload: "pong:" + payload}
        self.streams = {}
        self.finished_streams = []
        self.buffered = {rtc.SUBSCRIBER: [], rtc.PUBLISHER: []}

    def url(self, reconnect=False):
        ws = self.base.replace("http://", "ws://")
        q = f"access_token={self.token}&protocol={self.protocol}&sdk=python&version=1.0.0"
        if not self.auto_subscribe:
            q += "&auto_subscribe=0"
        if reconnect:
            q += f"&reconnect=1&sid={self.sid}&reconnect_reason=1"
        return f"{ws}/rtc?{q}"

    async def connect(self, reconnect=False):
        self.closed_by_server.clear()
        self.ws = await self.http.ws_connect(self.url(reconnect), heartbeat=None, max_msg_size=4 << 20)
        first = await self.ws.receive()
        check(first.type == aiohttp.WSMsgType.BINARY, f"first message is binary ({first.type})")
        resp = rtc.SignalResponse.FromString(first.data)
        self.messages.append(resp)
        which = resp.WhichOneof("message")
        self.reader = asyncio.ensure_future(self._read())
        if self.pinger is None:
            self.pinger = asyncio.ensure_future(self._ping())
        if which == "join":
            self.join = resp.join
            self.sid = resp.join.participant.sid
        return resp

    async def _ping(self):
        while True:
            await asyncio.sleep(5)
            await self.send(rtc.SignalRequest(ping_req=rtc.Ping(timestamp=int(time.time() * 1000))))

    async def send(self, req):
        if self.ws is not None and not self.ws.closed:
            try:
                await self.ws.send_bytes(req.SerializeToString())
            except Exception:
                pass

    async def _read(self):
        ws = self.ws
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.BINARY:
                    break
                resp = rtc.SignalResponse.FromString(msg.data)
                self.messages.append(resp)
                try:
                    await self._handle(resp)
                except Exception:
                    traceback.print_exc()
        finally:
            if ws is self.ws:
                self.closed_by_server.set()

    async def _handle(self, resp):
        which = resp.WhichOneof("message")
        say(self.name, "<-", which)
        if which == "offer":
            await self._on_offer(resp.offer)
        elif which == "answer":
            await self.pub.setRemoteDescription(RTCSessionDescription(resp.answer.sdp, "answer"))
            if self.pub_restart:
                lk_ice.finish_restart(self.pub, resp.answer.sdp)
                self.pub_restart = False
            await self._flush(rtc.PUBLISHER)
            if self.pending_answer is not None and not self.pending_answer.done():
                self.pending_answer.set_result(resp.answer)
        elif which == "trickle":
            init = json.loads(resp.trickle.candidateInit)
            pc = self.sub if resp.trickle.target == rtc.SUBSCRIBER else self.pub
            if pc is None or pc.remoteDescription is None:
                self.buffered[resp.trickle.target].append(init)
            else:
                await lk_ice.add_remote_candidate(pc, init)
        elif which == "pong_resp":
            self.pongs.append(resp.pong_resp)
        elif which == "leave":
            self.leave = resp.leave
        await self.events.put(resp)

    async def _flush(self, target):
        pc = self.sub if target == rtc.SUBSCRIBER else self.pub
        pending, self.buffered[target] = self.buffered[target], []
        for init in pending:
            await lk_ice.add_remote_candidate(pc, init)

    async def _on_offer(self, sd):
        first = self.sub is None
        if first:
            self.sub = RTCPeerConnection(lk_ice.rtc_configuration())
            self.sub.on("datachannel", self._on_sub_dc)
            self.sub.on("track", self._on_track)
        ufrag, _ = lk_ice.ice_credentials(sd.sdp)
        current = lk_ice.remote_ufrag(self.sub) if not first else None
        restart = current is not None and ufrag != current
        if restart:
            say(self.name, "subscriber ICE restart")
            lk_ice.begin_restart(self.sub)
        self.track_sids.update(dict(sd.mid_to_track_id))
        await self.sub.setRemoteDescription(RTCSessionDescription(sd.sdp, "offer"))
        await self.sub.setLocalDescription(await self.sub.createAnswer())
        if restart:
            lk_ice.finish_restart(self.sub, sd.sdp)
        sdp = self.sub.localDescription.sdp
        if self.trickle:
            sdp = lk_ice.strip_candidates(sdp)
        await self.send(rtc.SignalRequest(answer=rtc.SessionDescription(type="answer", sdp=sdp, id=sd.id)))
        if self.trickle and (first or restart):
            for init in lk_ice.local_candidate_inits(self.sub):
                await self.send(rtc.SignalRequest(trickle=rtc.TrickleRequest(
                    candidateInit=json.dumps(init), target=rtc.SUBSCRIBER)))
        await self._flush(rtc.SUBSCRIBER)

    def _on_track(self, track):
        mid = next((t.mid for t in self.sub.getTransceivers() if t.receiver.track is track), None)
        sid = self.track_sids.get(mid, track.id)
        say(self.name, "subscribed track", sid, "mid", mid)
        self.probes[sid] = AudioProbe(track)

    def _on_sub_dc(self, ch):
        self.sub_dcs[ch.label] = ch
        ch.on("message", self._on_packet)

    def _on_packet(self, data):
        dp = models.DataPacket.FromString(data)
        self.packets.append(dp)
        self.packet_event.set()
        which = dp.WhichOneof("value")
        if which == "rpc_request":
            asyncio.ensure_future(self._answer_rpc(dp))
        elif which == "stream_header":
            self.streams[dp.stream_header.stream_id] = {"header": dp.stream_header, "chunks": {},
                                                        "from": dp.participant_identity}
        elif which == "stream_chunk":
            s = self.streams.get(dp.stream_chunk.stream_id)
            if s:
                s["chunks"][dp.stream_chunk.chunk_index] = dp.stream_chunk.content
        elif which == "stream_trailer":
            s = self.streams.pop(dp.stream_trailer.stream_id, None)
            if s:
                s["text"] = b"".join(s["chunks"][i] for i in sorted(s["chunks"])).decode()
                self.finished_streams.append(s)

    async def _answer_rpc(self, dp):
        req = dp.rpc_request
        ack = models.DataPacket(destination_identities=[dp.participant_identity])
        ack.rpc_ack.request_id = req.id
        await self.send_packet(ack)
        resp = models.DataPacket(destination_identities=[dp.participant_identity])
        resp.rpc_response.request_id = req.id
        handler = self.rpc_handlers.get(req.method)
        if handler is None:
            resp.rpc_response.error.code = 1400
            resp.rpc_response.error.message = "Method not supported at destination"
        else:
            resp.rpc_response.payload = handler(req.payload)
        await self.send_packet(resp)

    async def wait(self, pred, timeout=10, what="event"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for m in list(self.messages):
                if pred(m):
                    return m
            await asyncio.sleep(0.05)
        raise Fail(f"{self.name}: timed out waiting for {what}")

    async def wait_packet(self, pred, timeout=10, what="packet"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for p in list(self.packets):
                if pred(p):
                    return p
            await asyncio.sleep(0.05)
        raise Fail(f"{self.name}: timed out waiting for {what}")

    # Publisher side

    async def _ensure_pub(self):
        if self.pub is not None:
            return
        self.pub = RTCPeerConnection(lk_ice.rtc_configuration())
        self.pub_dcs["_reliable"] = self.pub.createDataChannel("_reliable", ordered=True)
        self.pub_dcs["_lossy"] = self.pub.createDataChannel("_lossy", ordered=False, maxRetransmits=0)

    async def negotiate_pub(self, restart=False):
        loop = asyncio.get_event_loop()
        self.pending_answer = loop.create_future()
        if restart:
            lk_ice.begin_restart(self.pub)
            self.pub_restart = True
        await self.pub.setLocalDescription(await self.pub.createOffer())
        sdp = self.pub.localDescription.sdp
        first = self.offer_id == 0
        if self.trickle:
            sdp = lk_ice.strip_candidates(sdp)
        self.offer_id += 1
        await self.send(rtc.SignalRequest(offer=rtc.SessionDescription(type="offer", sdp=sdp, id=self.offer_id)))
        if self.trickle and (first or restart):
            for init in lk_ice.local_candidate_inits(self.pub):
                await self.send(rtc.SignalRequest(trickle=rtc.TrickleRequest(
                    candidateInit=json.dumps(init), target=rtc.PUBLISHER)))
        answer = await asyncio.wait_for(self.pending_answer, 10)
        check(answer.id == self.offer_id, f"answer echoes the offer id ({answer.id} vs {self.offer_id})")

    async def open_data(self):
        await self._ensure_pub()
        await self.negotiate_pub()
        for _ in range(100):
            if all(ch.readyState == "open" for ch in self.pub_dcs.values()):
                return
            await asyncio.sleep(0.05)
        raise Fail("publisher data channels did not open")

    async def publish_sine(self, source=models.MICROPHONE, freq=440.0):
        await self._ensure_pub()
        self.sine = SineTrack(freq)
        cid = self.sine.id
        await self.send(rtc.SignalRequest(add_track=rtc.AddTrackRequest(
            cid=cid, name="mic", type=models.AUDIO, source=source, disable_red=True)))
        resp = await self.wait(lambda m: m.WhichOneof("message") in ("track_published", "request_response"),
                               what="track_published")
        if resp.WhichOneof("message") == "request_response":
            return resp
        self.pub.addTrack(self.sine)
        await self.negotiate_pub()
        return resp

    async def send_packet(self, dp, reliable=True):
        ch = self.pub_dcs["_reliable" if reliable else "_lossy"]
        if reliable and not dp.sequence:
            self.seq += 1
            dp.sequence = self.seq
        ch.send(dp.SerializeToString())

    async def resume(self):
        """reconnect=1: ReconnectResponse, then the subscriber restart offer, then a publisher restart."""
        if self.reader:
            self.reader.cancel()
        resp = await self.connect(reconnect=True)
        return resp

    async def close(self, leave=True):
        if leave and self.ws is not None and not self.ws.closed:
            await self.send(rtc.SignalRequest(leave=rtc.LeaveRequest(reason=models.CLIENT_INITIATED)))
        for t in (self.reader, self.pinger):
            if t:
                t.cancel()
        for p in self.probes.values():
            p.task.cancel()
        if self.ws is not None:
            await self.ws.close()
        for pc in (self.sub, self.pub):
            if pc is not None:
                await pc.close()
        await self.http.close()


# The test run

class Server:
    def __init__(self, extra=()):
        self.proc = subprocess.Popen(
            [sys.executable, "-B", "-W", "ignore", os.path.join(HERE, "server.py"), "--port", "0",
             "--api-key", KEY, "--api-secret", SECRET, "--exit-on-stdin-eof", *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.port = int(self.proc.stdout.readline())
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)


async def admin(http, base, path, body=None):
    if body is None:
        async with http.get(base + path) as r:
            return await r.json()
    async with http.post(base + path, json=body) as r:
        return await r.json()


async def twirp(http, base, service, method, body, tok):
    async with http.post(f"{base}/twirp/livekit.{service}/{method}", json=body,
                         headers={"Authorization": "Bearer " + tok}) as r:
        return r.status, await r.json()


def participant(rooms, room, identity):
    for r in rooms["rooms"]:
        if r["name"] == room:
            for p in r["participants"]:
                if p["identity"] == identity:
                    return p
    return None


async def t_token_checks(srv, http):
    async def validate(tok, extra=""):
        async with http.get(f"{srv.base}/rtc/validate?access_token={tok}{extra}") as r:
            return r.status, await r.text()
    st, text = await validate(token("alice", "r1"))
    check((st, text) == (200, "success"), f"valid token validates ({st} {text})")
    bad = api.AccessToken(KEY, "wrong-secret-wrong-secret-wrong-secret").with_identity("a").with_grants(
        api.VideoGrants(room_join=True, room="r1")).to_jwt()
    st, text = await validate(bad)
    check(st == 401 and "cryptographic primitive" in text, f"wrong secret: 401 ({st} {text[-60:]})")
    st, text = await validate(token("alice", "r1", ttl=-120))
    check(st == 401 and "expired" in text, f"expired: 401 ({st} {text[-50:]})")
    st, text = await validate(raw_token({"video": {"roomJoin": True, "room": "r1"}}))
    check(st == 400 and "identity" in text, f"missing identity: 400 ({st} {text})")
    st, text = await validate(raw_token({"sub": "alice", "video": {"roomJoin": False, "room": "r1"}}))
    check(st == 401 and text == "permissions denied", f"no roomJoin: 401 ({st} {text})")
    st, text = await validate(raw_token({"sub": "alice"}))
    check(st == 401 and text == "no permissions to access the room", f"no video grant: 401 ({st} {text})")
    st, text = await validate(raw_token({"sub": "alice", "video": {"roomJoin": True, "room": "r1"}, "exp": None}))
    check(st == 401 and "expiry" in text, f"no exp: 401 ({st} {text})")
    st, text = await validate(raw_token({"sub": "alice", "video": {"roomJoin": True}}))
    check(st == 400 and "room" in text, f"no room: 400 ({st} {text})")
    st, text = await validate(token("alice", "r1", can_update_own_metadata=False),
                              "&attributes=" + base64.urlsafe_b64encode(b'{"a":"b"}').decode())
    check(st == 401, f"attributes without canUpdateOwnMetadata: 401 ({st})")
    async with http.get(f"{srv.base}/rtc/validate", headers={"Authorization": "Basic x"}) as r:
        check(r.status == 401, "non-Bearer Authorization: 401")
    async with http.get(f"{srv.base}/rtc?access_token={token('alice', 'r1')}") as r:
        check(r.status == 404, f"plain GET /rtc: 404 ({r.status})")
    try:
        await http.ws_connect(f"ws://127.0.0.1:{srv.port}/rtc?access_token={bad}")
        raise Fail("upgrade with a bad token succeeded")
    except aiohttp.WSServerHandshakeError as e:
        check(e.status == 401, f"upgrade with a bad token: 401 ({e.status})")
    # Bearer header on the upgrade works too
    ws = await http.ws_connect(f"ws://127.0.0.1:{srv.port}/rtc?protocol=16",
                               headers={"Authorization": "Bearer " + token("hdr", "r-hdr")})
    msg = await ws.receive()
    check(rtc.SignalResponse.FromString(msg.data).WhichOneof("message") == "join", "Bearer header join")
    await ws.send_bytes(rtc.SignalRequest(leave=rtc.LeaveRequest(reason=models.CLIENT_INITIATED)).SerializeToString())
    await ws.close()


async def t_join_echo_data(srv, http, ctx):
    room = "main"
    bot = await admin(http, srv.base, "/_test/bot/add", {"room": room})
    check(bot["sid"].startswith("PA_"), "bot added")
    c = Client(srv.base, token("alice", room, can_update_own_metadata=True), "alice")
    ctx["alice"] = c
    await c.connect()
    j = c.join
    check(j.participant.sid.startswith("PA_") and j.participant.identity == "alice", "join: participant")
    check(j.room.sid.startswith("RM_") and j.room.name == room, "join: room with sid")
    check(j.participant.state == models.ParticipantInfo.JOINED, "join: state JOINED")
    check(j.subscriber_primary and j.fast_publish, "join: subscriber_primary and fast_publish")
    check(j.ping_interval == 5 and j.ping_timeout == 15, "join: ping interval/timeout")
    check(j.server_info.protocol == 17 and j.server_info.edition == models.ServerInfo.Standard, "join: server_info")
    check(len(j.ice_servers) == 0, "join: no ice servers")
    check([p.identity for p in j.other_participants] == ["test-bot"], "join: the bot is listed")
    check(j.participant.permission.can_publish and j.participant.permission.can_subscribe, "join: permission")
    # The subscriber offer comes right after the join; wait for the PC and the data channels
    await c.wait(lambda m: m.WhichOneof("message") == "offer", what="subscriber offer")
    for _ in range(100):
        if c.sub is not None and all(c.sub_dcs.get(l) and c.sub_dcs[l].readyState == "open"
                                     for l in ("_reliable", "_lossy")):
            break
        await asyncio.sleep(0.05)
    check(set(c.sub_dcs) == {"_reliable", "_lossy"}, f"server-created subscriber channels ({set(c.sub_dcs)})")
    check(c.sub_dcs["_lossy"].ordered is False and c.sub_dcs["_lossy"].maxRetransmits == 0, "_lossy is unreliable")
    offer = next(m.offer for m in c.messages if m.WhichOneof("message") == "offer")
    check("a=candidate" not in offer.sdp, "server offer SDP has no candidates (trickled)")
    check(any(m.WhichOneof("message") == "trickle" and m.trickle.final for m in c.messages), "final trickle")
    check(any("127.0.0.1" in m.trickle.candidateInit for m in c.messages if m.WhichOneof("message") == "trickle"),
          "a loopback candidate is trickled")

    # Publish and hear it back
    resp = await c.publish_sine()
    tp = resp.track_published
    check(tp.track.sid.startswith("TR_A") and tp.track.mime_type == "audio/opus" and tp.cid == c.sine.id,
          f"track_published ({tp.track.sid} {tp.track.mime_type})")
    sid = tp.track.sid
    deadline = time.time() + 15
    while time.time() < deadline:
        if sid in c.probes and c.probes[sid].frames > 60:
            break
        await asyncio.sleep(0.1)
    check(sid in c.probes, f"echo track subscribed (mid_to_track_id {c.track_sids})")
    await asyncio.sleep(1.0)
    level, pitch = c.probes[sid].audible()
    say("echo level", round(level, 3), "pitch", round(pitch, 1))
    check(level > 0.05, f"echo is audible (rms {level:.3f})")
    check(400 < pitch < 480, f"echo pitch is ~440 Hz ({pitch:.1f})")
    offers = [m.offer for m in c.messages if m.WhichOneof("message") == "offer"]
    check(any(sid in o.mid_to_track_id.values() for o in offers), "offer maps the mid to the track sid")
    check(any(f"a=msid:{c.sid}|{sid} {sid}" in o.sdp for o in offers), "msid is <PA>|<TR> <TR>")
    upd = await c.wait(lambda m: m.WhichOneof("message") == "update" and any(
        p.identity == "alice" and any(t.sid == sid for t in p.tracks) for p in m.update.participants),
        what="ParticipantUpdate with the track")
    check(upd is not None, "update")
    await c.wait(lambda m: m.WhichOneof("message") == "track_subscribed" and m.track_subscribed.track_sid == sid,
                 what="track_subscribed")
    rooms = await admin(http, srv.base, "/_test/rooms")
    me = participant(rooms, room, "alice")
    check(me["state"] == "ACTIVE", f"alice ACTIVE ({me['state']})")
    check(me["published"][sid]["media"]["frames"] > 50, "server received the audio")
    check(me["subscriber_pc"]["fully_established"] and me["publisher_pc"]["fully_established"], "PCs established")

    # Data with the bot
    await c.open_data()
    dp = models.DataPacket(destination_identities=["test-bot"])
    dp.user.payload = b"hello"
    dp.user.topic = "t1"
    dp.participant_identity = "spoofed"
    await c.send_packet(dp)
    echo = await c.wait_packet(lambda p: p.WhichOneof("value") == "user" and p.user.payload == b"echo:hello",
                               what="bot echo")
    check(echo.participant_identity == "test-bot" and echo.user.topic == "t1" and echo.participant_sid == bot["sid"],
          "echo comes from the bot on the same topic")
    recv = await admin(http, srv.base, f"/_test/bot/received?room={room}")
    got = [r for r in recv["received"] if r.get("payload") == "hello"]
    check(got and got[0]["from"] == "alice" and got[0]["topic"] == "t1", "bot saw alice's packet (identity overwritten)")
    # lossy
    dp = models.DataPacket()
    dp.user.payload = b"lossy-one"
    await c.send_packet(dp, reliable=False)
    await c.wait_packet(lambda p: p.user.payload == b"echo:lossy-one" and p.kind == models.DataPacket.LOSSY,
                        what="lossy echo")
    # RPC alice -> bot
    for method, payload, expect in (("greet", "x", ("payload", "greet:x")), ("fail", "y", ("error", 1500))):
        rid = str(uuid.uuid4())
        dp = models.DataPacket(destination_identities=["test-bot"])
        dp.rpc_request.id = rid
        dp.rpc_request.method = method
        dp.rpc_request.payload = payload
        dp.rpc_request.response_timeout_ms = 5000
        dp.rpc_request.version = 1
        await c.send_packet(dp)
        await c.wait_packet(lambda p: p.WhichOneof("value") == "rpc_ack" and p.rpc_ack.request_id == rid,
                            what=f"rpc ack ({method})")
        r = await c.wait_packet(lambda p: p.WhichOneof("value") == "rpc_response" and
                                p.rpc_response.request_id == rid, what=f"rpc response ({method})")
        if expect[0] == "payload":
            check(r.rpc_response.payload == expect[1], f"rpc payload ({r.rpc_response.payload})")
        else:
            check(r.rpc_response.error.code == expect[1], f"rpc error code ({r.rpc_response.error.code})")
    # RPC bot -> alice
    r = await admin(http, srv.base, "/_test/bot/rpc", {"room": room, "to": "alice", "method": "ping",
                                                       "payload": "42"})
    check(r.get("acked") and r.get("payload") == "pong:42", f"bot rpc to alice ({r})")
    r = await admin(http, srv.base, "/_test/bot/rpc", {"room": room, "to": "alice", "method": "nope"})
    check(r.get("error", {}).get("code") == 1400, f"bot rpc unsupported method ({r})")
    # Text stream bot -> alice, multi-chunk, UTF-8 safe
    text = ("héllo wörld — ✓ " * 2000)
    st = await admin(http, srv.base, "/_test/bot/send-text-stream", {"room": room, "to": ["alice"],
                                                                     "topic": "lk.chat", "text": text,
                                                                     "attributes": {"k": "v"}})
    for _ in range(100):
        if any(s["header"].stream_id == st["stream_id"] for s in c.finished_streams):
            break
        await asyncio.sleep(0.05)
    s = next((s for s in c.finished_streams if s["header"].stream_id == st["stream_id"]), None)
    check(s is not None, "text stream received")
    check(s["text"] == text and len(s["chunks"]) >= 3 and all(len(v) <= 15000 for v in s["chunks"].values()),
          f"text stream content ({len(s['chunks'])} chunks)")
    check(s["header"].topic == "lk.chat" and s["header"].attributes["k"] == "v" and s["from"] == "test-bot",
          "text stream header")
    # Text stream alice -> bot
    sid_stream = str(uuid.uuid4())
    h = models.DataPacket(destination_identities=["test-bot"])
    h.stream_header.stream_id = sid_stream
    h.stream_header.topic = "lk.chat"
    h.stream_header.mime_type = "text/plain"
    h.stream_header.timestamp = int(time.time() * 1000)
    await c.send_packet(h)
    ch = models.DataPacket(destination_identities=["test-bot"])
    ch.stream_chunk.stream_id = sid_stream
    ch.stream_chunk.content = "to the bot".encode()
    await c.send_packet(ch)
    tr = models.DataPacket(destination_identities=["test-bot"])
    tr.stream_trailer.stream_id = sid_stream
    await c.send_packet(tr)
    for _ in range(50):
        recv = await admin(http, srv.base, f"/_test/bot/received?room={room}")
        if any(r.get("type") == "stream" and r.get("text") == "to the bot" for r in recv["received"]):
            break
        await asyncio.sleep(0.1)
    else:
        raise Fail("bot did not get alice's text stream")
    # Reliable sequence: an old sequence is dropped
    dp = models.DataPacket(destination_identities=["test-bot"], sequence=1)
    dp.user.payload = b"stale"
    await c.send_packet(dp)
    await asyncio.sleep(0.3)
    rooms = await admin(http, srv.base, "/_test/rooms")
    me = participant(rooms, room, "alice")
    check(any("dropped" in d and d.get("sequence") == 1 for d in me["data_received"]), "stale sequence dropped")
    check(not any(p.user.payload == b"echo:stale" for p in c.packets), "stale packet not forwarded")
    # transcriptions are forwarded only from agents
    tx = models.DataPacket()
    tx.transcription.transcribed_participant_identity = "alice"
    await c.send_packet(tx)
    await asyncio.sleep(0.3)
    recv = await admin(http, srv.base, f"/_test/bot/received?room={room}")
    check(not any(r.get("type") == "transcription" for r in recv["received"]), "no transcription from a non-agent")
    # Bot sends to alice on demand
    await admin(http, srv.base, "/_test/bot/send-data", {"room": room, "to": ["alice"], "payload": "from-bot",
                                                         "topic": "news"})
    await c.wait_packet(lambda p: p.user.payload == b"from-bot" and p.user.topic == "news", what="bot packet")
    # Twirp SendData reaches connected participants
    st_code, _ = await twirp(http, srv.base, "RoomService", "SendData",
                             {"room": room, "data": base64.b64encode(b"from-api").decode(), "kind": "RELIABLE",
                              "topic": "api"}, admin_token(room))
    check(st_code == 200, "SendData ok")
    await c.wait_packet(lambda p: p.user.payload == b"from-api" and p.user.topic == "api", what="SendData packet")
    # Metadata update
    await c.send(rtc.SignalRequest(update_metadata=rtc.UpdateParticipantMetadata(
        metadata="m1", attributes={"lk.agent.state": "listening"}, request_id=7)))
    await c.wait(lambda m: m.WhichOneof("message") == "update" and any(
        p.identity == "alice" and p.metadata == "m1" and p.attributes.get("lk.agent.state") == "listening"
        for p in m.update.participants), what="metadata update")
    await c.wait(lambda m: m.WhichOneof("message") == "request_response" and m.request_response.request_id == 7
                 and m.request_response.reason == rtc.RequestResponse.OK, what="request_response OK")


async def t_ping(srv, http, ctx):
    c = ctx["alice"]
    n = len(c.pongs)
    ts = int(time.time() * 1000)
    await c.send(rtc.SignalRequest(ping_req=rtc.Ping(timestamp=ts, rtt=3)))
    await c.wait(lambda m: m.WhichOneof("message") == "pong_resp" and m.pong_resp.last_ping_timestamp == ts,
                 what="pong_resp")
    await c.send(rtc.SignalRequest(ping=123))
    await c.wait(lambda m: m.WhichOneof("message") == "pong" and m.pong > 1_700_000_000_000, what="legacy pong")
    r = await admin(http, srv.base, "/_test/signal-fault", {"identity": "alice", "action": "mute-pongs"})
    check(r.get("ok"), "mute-pongs")
    ts = int(time.time() * 1000) + 1
    await c.send(rtc.SignalRequest(ping_req=rtc.Ping(timestamp=ts)))
    await asyncio.sleep(1.0)
    check(not any(m.WhichOneof("message") == "pong_resp" and m.pong_resp.last_ping_timestamp == ts
                  for m in c.messages), "no pong while muted")
    await admin(http, srv.base, "/_test/signal-fault", {"identity": "alice", "action": "unmute-pongs"})
    check(len(c.pongs) >= n, "pongs")


async def t_drop_resume(srv, http, ctx):
    c = ctx["alice"]
    sid_track = next(iter(c.probes))
    frames_before = c.probes[sid_track].frames
    r = await admin(http, srv.base, "/_test/signal-fault", {"identity": "alice", "action": "drop"})
    check(r.get("ok"), "drop")
    await asyncio.wait_for(c.closed_by_server.wait(), 10)
    check(c.leave is None, "no LeaveRequest on a drop")
    rooms = await admin(http, srv.base, "/_test/rooms")
    me = participant(rooms, "main", "alice")
    check(me is not None and not me["signal_connected"], "alice kept while dropped")
    # media and data keep flowing while the signal is down
    await asyncio.sleep(0.5)
    check(c.probes[sid_track].frames > frames_before, "echo continues while the signal is down")
    old_sub_ufrag = lk_ice.primary_transport(c.sub)._connection.remote_username
    old_pub_ufrag = lk_ice.primary_transport(c.pub)._connection.local_username
    n_msgs = len(c.messages)
    resp = await c.resume()
    check(resp.WhichOneof("message") == "reconnect", f"first message is reconnect ({resp.WhichOneof('message')})")
    check(resp.reconnect.last_message_seq == c.seq,
          f"last_message_seq is the last reliable sequence received ({resp.reconnect.last_message_seq}, sent {c.seq})")
    await c.wait(lambda m: m.WhichOneof("message") == "update" and c.messages.index(m) >= n_msgs, what="update")
    await c.wait(lambda m: m.WhichOneof("message") == "room_update" and c.messages.index(m) >= n_msgs,
                 what="room_update")
    await c.wait(lambda m: m.WhichOneof("message") == "offer" and c.messages.index(m) >= n_msgs,
                 what="ICE restart offer")
    await asyncio.sleep(0.5)
    new_sub_ufrag = lk_ice.primary_transport(c.sub)._connection.remote_username
    check(new_sub_ufrag != old_sub_ufrag, f"subscriber ICE restarted (ufrag {old_sub_ufrag} -> {new_sub_ufrag})")
    # publisher ICE restart from the client
    await c.negotiate_pub(restart=True)
    await asyncio.sleep(1.0)
    new_pub_ufrag = lk_ice.primary_transport(c.pub)._connection.local_username
    check(new_pub_ufrag != old_pub_ufrag, "publisher ICE restarted")
    rooms = await admin(http, srv.base, "/_test/rooms")
    me = participant(rooms, "main", "alice")
    check(me["signal_connected"] and me["resumes"] == 1, "resumed on the server")
    check(me["publisher_pc"]["ice"]["remote_ufrag"] == new_pub_ufrag, "server took the new publisher ufrag")
    check(me["subscriber_pc"]["connection_state"] == "connected" and
          me["publisher_pc"]["connection_state"] == "connected", "both PCs still connected")
    # data and media after the resume
    dp = models.DataPacket(destination_identities=["test-bot"])
    dp.user.payload = b"after-resume"
    await c.send_packet(dp)
    await c.wait_packet(lambda p: p.user.payload == b"echo:after-resume", what="echo after resume")
    frames = c.probes[sid_track].frames
    await asyncio.sleep(1.0)
    check(c.probes[sid_track].frames > frames + 20, "echo audio after resume")
    level, pitch = c.probes[sid_track].audible()
    check(level > 0.05 and 400 < pitch < 480, f"echo still audible after resume ({level:.3f}, {pitch:.0f} Hz)")
    # Unknown sid: STATE_MISMATCH / RECONNECT
    ws = await http.ws_connect(f"ws://127.0.0.1:{srv.port}/rtc?access_token={token('alice', 'main')}"
                               f"&reconnect=1&sid=PA_unknown&protocol=16")
    msg = await ws.receive()
    resp = rtc.SignalResponse.FromString(msg.data)
    check(resp.WhichOneof("message") == "leave" and resp.leave.reason == models.STATE_MISMATCH and
          resp.leave.action == rtc.LeaveRequest.RECONNECT, f"unknown sid -> leave ({resp})")
    await ws.close()
    # A server LeaveRequest{RESUME} keeps the participant: resume again
    await admin(http, srv.base, "/_test/signal-fault", {"identity": "alice", "action": "leave",
                                                        "reason": "CONNECTION_TIMEOUT", "leave_action": "RESUME"})
    await asyncio.wait_for(c.closed_by_server.wait(), 10)
    check(c.leave is not None and c.leave.action == rtc.LeaveRequest.RESUME and
          c.leave.reason == models.CONNECTION_TIMEOUT and c.leave.can_reconnect, f"leave RESUME ({c.leave})")
    c.leave = None
    n_msgs = len(c.messages)
    resp = await c.resume()
    check(resp.WhichOneof("message") == "reconnect", "second resume")
    await c.wait(lambda m: m.WhichOneof("message") == "offer" and c.messages.index(m) >= n_msgs,
                 what="second ICE restart offer")
    await c.negotiate_pub(restart=True)
    dp = models.DataPacket(destination_identities=["test-bot"])
    dp.user.payload = b"after-second-resume"
    await c.send_packet(dp)
    await c.wait_packet(lambda p: p.user.payload == b"echo:after-second-resume", what="echo after second resume")
    # mute shows in the participant update
    track = c.join.participant.sid and next(iter(c.probes))
    await c.send(rtc.SignalRequest(mute=rtc.MuteTrackRequest(sid=track, muted=True)))
    await c.wait(lambda m: m.WhichOneof("message") == "update" and any(
        t.sid == track and t.muted for p in m.update.participants for t in p.tracks), what="muted update")
    await c.send(rtc.SignalRequest(mute=rtc.MuteTrackRequest(sid=track, muted=False)))


async def t_json_mode(srv, http, ctx):
    """A text frame switches the server's replies to protojson."""
    ws = await http.ws_connect(f"ws://127.0.0.1:{srv.port}/rtc?access_token={token('jay', 'json-room')}&protocol=16")
    first = await ws.receive()
    check(first.type == aiohttp.WSMsgType.BINARY, "join is binary")
    await ws.send_str(json.dumps({"pingReq": {"timestamp": "5"}}))
    deadline = time.time() + 5
    while time.time() < deadline:
        msg = await ws.receive(timeout=5)
        if msg.type == aiohttp.WSMsgType.TEXT and "pongResp" in msg.data:
            break
    else:
        raise Fail("no JSON pong")
    check(json.loads(msg.data)["pongResp"]["lastPingTimestamp"] == "5", "JSON pong_resp")
    await ws.send_str(json.dumps({"leave": {"reason": "CLIENT_INITIATED"}}))
    await ws.close()


async def t_two_participants(srv, http, ctx):
    """Bob joins: gets alice's track, alice sees bob; duplicate identity evicts; leave is broadcast."""
    a = ctx["alice"]
    b = Client(srv.base, token("bob", "main"), "bob")
    await b.connect()
    check({p.identity for p in b.join.other_participants} == {"alice", "test-bot"}, "bob sees alice and the bot")
    alice_track = next(t.sid for p in b.join.other_participants if p.identity == "alice" for t in p.tracks)
    first_offer = (await b.wait(lambda m: m.WhichOneof("message") == "offer", what="bob's offer")).offer
    check(alice_track in first_offer.mid_to_track_id.values() and first_offer.sdp.index("m=audio") <
          first_offer.sdp.index("m=application"), "protocol 16: the first offer already has alice's track")
    await a.wait(lambda m: m.WhichOneof("message") == "update" and any(
        p.identity == "bob" for p in m.update.participants), what="alice sees bob")
    deadline = time.time() + 15
    while time.time() < deadline and not (alice_track in b.probes and b.probes[alice_track].frames > 50):
        await asyncio.sleep(0.1)
    check(alice_track in b.probes, "bob subscribed to alice's track")
    level, pitch = b.probes[alice_track].audible()
    check(level > 0.05 and 400 < pitch < 480, f"bob hears alice ({level:.3f}, {pitch:.0f} Hz)")
    # data alice -> bob (broadcast): bob gets it, alice does not get her own packet back
    await b.open_data()
    dp = models.DataPacket()
    dp.user.payload = b"to-all"
    await a.send_packet(dp)
    p = await b.wait_packet(lambda p: p.user.payload == b"to-all", what="broadcast at bob")
    check(p.participant_identity == "alice" and p.user.participant_identity == "alice", "sender identity")
    await asyncio.sleep(0.3)
    check(not any(p.user.payload == b"to-all" for p in a.packets), "no echo of a broadcast to the sender")
    # duplicate identity
    b2 = Client(srv.base, token("bob", "main"), "bob2")
    await b2.connect()
    await b.wait(lambda m: m.WhichOneof("message") == "leave" and m.leave.reason == models.DUPLICATE_IDENTITY,
                 what="DUPLICATE_IDENTITY leave")
    await asyncio.wait_for(b.closed_by_server.wait(), 5)
    await b.close(leave=False)
    # bob2 leaves: alice gets a DISCONNECTED update
    await b2.close()
    await a.wait(lambda m: m.WhichOneof("message") == "update" and any(
        p.identity == "bob" and p.sid == b2.sid and p.state == models.ParticipantInfo.DISCONNECTED
        for p in m.update.participants), what="bob DISCONNECTED update")
    # server leave fault with RECONNECT action removes alice
    c = Client(srv.base, token("carol", "main"), "carol")
    await c.connect()
    await admin(http, srv.base, "/_test/signal-fault", {"identity": "carol", "action": "leave",
                                                        "reason": "STATE_MISMATCH", "leave_action": "RECONNECT"})
    await c.wait(lambda m: m.WhichOneof("message") == "leave" and m.leave.action == rtc.LeaveRequest.RECONNECT,
                 what="leave RECONNECT")
    await c.close(leave=False)
    # protocol 7: first offer only has the data channels, the track follows
    e = Client(srv.base, token("erin", "main"), "erin", protocol=7)
    await e.connect()
    o1 = (await e.wait(lambda m: m.WhichOneof("message") == "offer", what="erin's offer")).offer
    check("m=audio" not in o1.sdp and o1.id == 1, "protocol 7: data-only first offer")
    o2 = (await e.wait(lambda m: m.WhichOneof("message") == "offer" and m.offer.id == 2, what="erin's 2nd offer")).offer
    check("m=audio" in o2.sdp, "protocol 7: track in the renegotiation")
    # RoomService.RemoveParticipant on a connected participant
    st_code, _ = await twirp(http, srv.base, "RoomService", "RemoveParticipant", {"room": "main", "identity": "erin"},
                             admin_token("main"))
    check(st_code == 200, "RemoveParticipant")
    await e.wait(lambda m: m.WhichOneof("message") == "leave" and m.leave.reason == models.PARTICIPANT_REMOVED and
                 m.leave.action == rtc.LeaveRequest.DISCONNECT, what="PARTICIPANT_REMOVED leave")
    await e.close(leave=False)
    # canPublishSources: NOT_ALLOWED
    d = Client(srv.base, token("dave", "main", can_publish_sources=["camera"]), "dave")
    await d.connect()
    resp = await d.publish_sine()
    check(resp.WhichOneof("message") == "request_response" and
          resp.request_response.reason == rtc.RequestResponse.NOT_ALLOWED, "publishing a microphone: NOT_ALLOWED")
    await d.close()


async def t_two_tracks_one_offer(srv, http, ctx):
    """Audio m-sections added to a data-only subscriber PC: every one must carry audio. aiortc put
    the second audio transceiver on the first one's pre-BUNDLE transport, which setRemoteDescription
    then stopped (lk_ice.repair_bundle). A publishes 440 Hz, B 660 Hz, each with its echo on, in
    three orders: B joins after A started publishing (A's echo and B's track in one offer), B joins
    before and both publish at once (the same for both), and B publishes while A's offer with its
    echo waits for A's answer (B's track is added during a pending renegotiation)."""
    async def attempt(room, mode):
        a = Client(srv.base, token("A", room), f"A@{room}")
        b = Client(srv.base, token("B", room), f"B@{room}")
        held = {"answering": False, "b_published": None}
        if mode == "pending":
            on_offer = a._on_offer

            async def slow_answer(sd):
                if "m=audio" in sd.sdp and not held["answering"]:
                    held["answering"] = True
                    for _ in range(100):   # hold the answer until B's track is in (at most 5 s)
                        if held["b_published"] is not None:
                            break
                        await asyncio.sleep(0.05)
                    await asyncio.sleep(0.3)   # the server has subscribed A to it by now
                await on_offer(sd)
            a._on_offer = slow_answer
        try:
            await a.connect()
            o1 = (await a.wait(lambda m: m.WhichOneof("message") == "offer", what="A's first offer")).offer
            check("m=audio" not in o1.sdp, "A's first subscriber offer is data-only")

            async def b_joins():
                await b.connect()
                await b.wait(lambda m: m.WhichOneof("message") == "offer", what="B's first offer")

            if mode == "a-first":
                async def b_joins_and_publishes():
                    await b_joins()
                    await b.publish_sine(freq=660)
                await asyncio.gather(a.publish_sine(freq=440), b_joins_and_publishes())
            elif mode == "b-first":
                await b_joins()
                await asyncio.gather(a.publish_sine(freq=440), b.publish_sine(freq=660))
            else:
                await b_joins()
                await a.publish_sine(freq=440)
                await a.wait(lambda m: m.WhichOneof("message") == "offer" and "m=audio" in m.offer.sdp,
                             what="A's offer with its echo")
                await b.publish_sine(freq=660)
                held["b_published"] = time.time()
            a_sid = next(m.track_published.track.sid for m in a.messages if m.WhichOneof("message") == "track_published")
            b_sid = next(m.track_published.track.sid for m in b.messages if m.WhichOneof("message") == "track_published")
            deadline = time.time() + 15
            while time.time() < deadline and not all(
                    sid in c.probes and c.probes[sid].frames > 60 for c in (a, b) for sid in (a_sid, b_sid)):
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)
            rooms = await admin(http, srv.base, "/_test/rooms")
            for c, ident in ((a, "A"), (b, "B")):
                subs = {s["track_sid"]: s for s in participant(rooms, room, ident)["subscriptions"]}
                for sid, who, lo, hi in ((a_sid, "A", 400, 480), (b_sid, "B", 620, 700)):
                    sub = subs.get(sid)
                    check(sub is not None, f"{room}: {ident} is subscribed to {who}'s track")
                    check(sub["sender_started"] and sub["frames_sent"] > 50,
                          f"{room}: the server forwards {who}'s track to {ident} (mid {sub['mid']}, "
                          f"sender_started {sub['sender_started']}, frames_sent {sub['frames_sent']})")
                    check(sid in c.probes, f"{room}: {ident} got {who}'s track (mids {c.track_sids})")
                    level, pitch = c.probes[sid].audible()
                    say(room, ident, "hears", who, round(level, 3), round(pitch, 1), "Hz")
                    check(level > 0.05 and lo < pitch < hi,
                          f"{room}: {ident} hears {who}'s {lo + 40} Hz ({level:.3f}, {pitch:.0f} Hz)")
            # Did the intended path run? The offers A got, as sets of track sids
            offers = [set(m.offer.mid_to_track_id.values()) for m in a.messages if m.WhichOneof("message") == "offer"]
            first_with = {sid: next((i for i, o in enumerate(offers) if sid in o), None) for sid in (a_sid, b_sid)}
            if mode == "pending":
                check(first_with[a_sid] is not None and first_with[b_sid] is not None and
                      first_with[a_sid] < first_with[b_sid], f"{room}: A got its echo, then B's track ({offers})")
                return True
            return first_with[a_sid] == first_with[b_sid]   # both added by one offer
        finally:
            await a.close()
            await b.close()

    for mode in ("a-first", "b-first", "pending"):
        for n in range(3):
            room = f"duet-{mode}-{n}"
            if await attempt(room, mode):
                break
            say(room, "A got the two tracks in separate offers; again")
        else:
            raise Fail(f"{mode}: A never got both tracks in one subscriber offer; the clients were too slow")


async def t_deadlines(srv_unused, http, ctx):
    """A client whose subscriber PC never gets SCTP up gets LeaveRequest{RESUME}; one that never
    connects is removed with JOIN_FAILURE."""
    srv = Server(["--establish-deadline", "1.5", "--join-deadline", "3"])
    try:
        # no answer at all -> never ACTIVE -> JOIN_FAILURE
        ws = await http.ws_connect(f"ws://127.0.0.1:{srv.port}/rtc?access_token={token('x', 'd')}&protocol=16")
        got = []
        deadline = time.time() + 8
        while time.time() < deadline:
            msg = await ws.receive(timeout=8)
            if msg.type != aiohttp.WSMsgType.BINARY:
                break
            got.append(rtc.SignalResponse.FromString(msg.data))
        leaves = [m.leave for m in got if m.WhichOneof("message") == "leave"]
        check(leaves and leaves[0].reason == models.JOIN_FAILURE, f"join deadline: JOIN_FAILURE ({leaves})")
        await ws.close()
        # answer, but block SCTP by dropping the data section: ICE/DTLS up, channels never open
        c = Client(srv.base, token("y", "d"), "y")

        async def crippled(sd, self=c):
            self.sub = RTCPeerConnection(lk_ice.rtc_configuration())
            await self.sub.setRemoteDescription(RTCSessionDescription(sd.sdp, "offer"))
            await self.sub.setLocalDescription(await self.sub.createAnswer())
            self.sub.sctp.start = lambda *a, **k: asyncio.sleep(0)   # never start SCTP
            await self.send(rtc.SignalRequest(answer=rtc.SessionDescription(
                type="answer", sdp=self.sub.localDescription.sdp, id=sd.id)))
        c._on_offer = crippled
        await c.connect()
        leave = await c.wait(lambda m: m.WhichOneof("message") == "leave", timeout=10, what="establish deadline")
        check(leave.leave.action == rtc.LeaveRequest.RESUME, f"establish deadline: action RESUME ({leave.leave})")
        await c.close(leave=False)
    finally:
        srv.stop()
    # resume window, departure timeout, refresh token
    srv = Server(["--resume-window", "1", "--departure-timeout", "0.5", "--refresh-interval", "0.5"])
    try:
        c = Client(srv.base, token("zed", "gone", ttl=60), "zed")
        await c.connect()
        rt = await c.wait(lambda m: m.WhichOneof("message") == "refresh_token", what="refresh_token")
        claims = json.loads(base64.urlsafe_b64decode(rt.refresh_token.split(".")[1] + "=="))
        check(claims["sub"] == "zed" and claims["video"]["room"] == "gone" and claims["exp"] >= time.time() + 590,
              f"refresh token ({claims})")
        await admin(http, srv.base, "/_test/signal-fault", {"identity": "zed", "action": "drop"})
        await asyncio.sleep(1.6)
        rooms = await admin(http, srv.base, "/_test/rooms")
        check(participant(rooms, "gone", "zed") is None, "removed after the resume window")
        await asyncio.sleep(1.0)
        rooms = await admin(http, srv.base, "/_test/rooms")
        check(not any(r["name"] == "gone" for r in rooms["rooms"]), "emptied room closed after its departure timeout")
        ws = await http.ws_connect(f"ws://127.0.0.1:{srv.port}/rtc?access_token={token('zed', 'gone')}"
                                   f"&reconnect=1&sid={c.sid}&protocol=16")
        resp = rtc.SignalResponse.FromString((await ws.receive()).data)
        check(resp.WhichOneof("message") == "leave" and resp.leave.action == rtc.LeaveRequest.RECONNECT,
              "late resume -> full reconnect")
        await ws.close()
        await c.close(leave=False)
    finally:
        srv.stop()


async def t_agent(srv, http, ctx):
    room = "agent-room"
    wtok = api.AccessToken(KEY, SECRET).with_grants(api.VideoGrants(agent=True)).to_jwt()
    # no agent grant -> 401
    try:
        await http.ws_connect(f"ws://127.0.0.1:{srv.port}/agent",
                              headers={"Authorization": "Bearer " + token("w", room)})
        raise Fail("worker without the agent grant was accepted")
    except aiohttp.WSServerHandshakeError as e:
        check(e.status == 401, f"worker without agent grant: 401 ({e.status})")
    ws = await http.ws_connect(f"ws://127.0.0.1:{srv.port}/agent?protocol=1",
                               headers={"Authorization": "Bearer " + wtok})
    inbox = asyncio.Queue()

    async def reader():
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                await inbox.put(agent.ServerMessage.FromString(msg.data))
    rt = asyncio.ensure_future(reader())

    async def send(**kw):
        await ws.send_bytes(agent.WorkerMessage(**kw).SerializeToString())

    async def expect(which, timeout=12):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = await asyncio.wait_for(inbox.get(), deadline - time.time())
            if m.WhichOneof("message") == which:
                return m
        raise Fail(f"worker: no {which}")
    await send(register=agent.RegisterWorkerRequest(type=agent.JT_ROOM, agent_name="selftest-agent", version="0.1"))
    reg = await expect("register")
    check(reg.register.worker_id.startswith("AW_") and reg.register.server_info.protocol == 17, "registered")
    await send(ping=agent.WorkerPing(timestamp=99))
    pong = await expect("pong")
    check(pong.pong.last_timestamp == 99, "worker pong")
    await send(update_worker=agent.UpdateWorkerStatus(status=agent.WS_AVAILABLE, load=0.25, job_count=0))
    await asyncio.sleep(0.2)
    workers = await admin(http, srv.base, "/_test/workers")
    w = next(w for w in workers["workers"] if w["id"] == reg.register.worker_id)
    check(w["status"] == "WS_AVAILABLE" and w["load"] == 0.25 and w["agent_name"] == "selftest-agent",
          "worker status recorded")

    async def run_job(dispatch_meta, finish):
        st, d = await twirp(http, srv.base, "AgentDispatchService", "CreateDispatch",
                            {"room": room, "agent_name": "selftest-agent", "metadata": dispatch_meta},
                            admin_token(room))
        check(st == 200 and d["id"].startswith("AD_"), f"CreateDispatch ({st} {d})")
        av_req = await expect("availability")
        job = av_req.availability.job
        check(job.id.startswith("AJ_") and job.dispatch_id == d["id"] and job.type == agent.JT_ROOM and
              job.room.name == room and job.metadata == dispatch_meta and job.agent_name == "selftest-agent",
              f"availability job ({job})")
        identity = "agent-" + job.id
        await send(availability=agent.AvailabilityResponse(job_id=job.id, available=True,
                                                           participant_identity=identity,
                                                           participant_attributes={"x": "y"}))
        asg = await expect("assignment")
        check(asg.assignment.job.id == job.id and asg.assignment.token and not asg.assignment.HasField("url"),
              "assignment with token")
        claims = json.loads(base64.urlsafe_b64decode(asg.assignment.token.split(".")[1] + "=="))
        check(claims["video"]["agent"] and claims["video"]["room"] == room and claims["kind"] == "agent" and
              claims["sub"] == identity and claims["attributes"]["lk.agent_name"] == "selftest-agent" and
              3500 < claims["exp"] - claims["nbf"] <= 3600, f"job token claims ({claims})")
        ag = Client(srv.base, asg.assignment.token, "agent")
        await ag.connect()
        check(ag.join.participant.kind == models.ParticipantInfo.AGENT and
              ag.join.participant.attributes["lk.agent_name"] == "selftest-agent" and
              ag.join.participant.permission.agent, "agent participant")
        await send(update_job=agent.UpdateJobStatus(job_id=job.id, status=agent.JS_RUNNING))
        await asyncio.sleep(0.2)
        jobs = await admin(http, srv.base, "/_test/jobs")
        j = next(j for j in jobs["jobs"] if j["id"] == job.id)
        check(j["status"] == "JS_RUNNING" and j["state"]["participant_identity"] == identity, "job running")
        st, lst = await twirp(http, srv.base, "AgentDispatchService", "ListDispatch", {"room": room},
                              admin_token(room))
        dd = next(x for x in lst["agent_dispatches"] if x["id"] == d["id"])
        check(dd["state"]["jobs"] and dd["state"]["jobs"][0]["state"]["status"] == "JS_RUNNING",
              "ListDispatch shows the running job")
        return job, ag, d

    job, ag, d = await run_job('{"k":1}', True)
    # an agent may send a text-stream header on behalf of another identity (kept, marked generated)
    await admin(http, srv.base, "/_test/bot/add", {"room": room})
    await ag.open_data()
    sid_stream = str(uuid.uuid4())
    h = models.DataPacket(participant_identity="user-7", destination_identities=["test-bot"])
    h.stream_header.stream_id = sid_stream
    h.stream_header.topic = "lk.transcription"
    h.stream_header.mime_type = "text/plain"
    h.stream_header.text_header.SetInParent()
    await ag.send_packet(h)
    ch = models.DataPacket(participant_identity="user-7", destination_identities=["test-bot"])
    ch.stream_chunk.stream_id = sid_stream
    ch.stream_chunk.content = b"hello there"
    await ag.send_packet(ch)
    tr = models.DataPacket(participant_identity="user-7", destination_identities=["test-bot"])
    tr.stream_trailer.stream_id = sid_stream
    await ag.send_packet(tr)
    tx = models.DataPacket(participant_identity="user-7")
    tx.transcription.transcribed_participant_identity = "user-7"
    await ag.send_packet(tx)
    for _ in range(50):
        recv = await admin(http, srv.base, f"/_test/bot/received?room={room}")
        done = [r for r in recv["received"] if r.get("type") == "stream" and r.get("stream_id") == sid_stream]
        if done and any(r.get("type") == "transcription" for r in recv["received"]):
            break
        await asyncio.sleep(0.1)
    check(done and done[0]["from"] == "user-7" and done[0]["text"] == "hello there" and
          done[0]["header"]["text_header"].get("generated") is True, f"agent on-behalf stream ({done})")
    chunks = [r for r in recv["received"] if r.get("type") == "stream_chunk"]
    check(chunks and chunks[0]["from"] == ag.join.participant.identity, "chunks carry the agent's identity")
    check(any(r.get("type") == "transcription" for r in recv["received"]), "transcription from an agent forwarded")
    await admin(http, srv.base, "/_test/bot/remove", {"room": room})
    await send(update_job=agent.UpdateJobStatus(job_id=job.id, status=agent.JS_SUCCESS))
    await ag.close()
    await asyncio.sleep(0.3)
    jobs = await admin(http, srv.base, "/_test/jobs")
    check(next(j for j in jobs["jobs"] if j["id"] == job.id)["status"] == "JS_SUCCESS", "job success kept")
    # second job: the agent leaves without reporting -> FAILED + termination
    job2, ag2, _ = await run_job("m2", False)
    await ag2.close()
    term = await expect("termination")
    check(term.termination.job_id == job2.id, "termination when the agent left")
    jobs = await admin(http, srv.base, "/_test/jobs")
    j2 = next(j for j in jobs["jobs"] if j["id"] == job2.id)
    check(j2["status"] == "JS_FAILED" and j2["state"]["error"] == "agent worker left the room", f"job failed ({j2})")
    # third job: admin termination
    job3, ag3, _ = await run_job("m3", False)
    r = await admin(http, srv.base, "/_test/terminate-job", {"job_id": job3.id})
    check(r.get("state", {}).get("status") == "JS_SUCCESS", f"terminate-job ({r})")
    term = await expect("termination")
    check(term.termination.job_id == job3.id, "termination message")
    await ag3.close()
    # CreateRoom with agents, and roomConfig.agents in a joining token, dispatch to the worker too
    st_code, _ = await twirp(http, srv.base, "RoomService", "CreateRoom",
                             {"name": "room-with-agents", "agents": [{"agent_name": "selftest-agent", "metadata": "cr"}]},
                             admin_token("room-with-agents"))
    av_req = await expect("availability")
    check(av_req.availability.job.room.name == "room-with-agents" and av_req.availability.job.metadata == "cr",
          "CreateRoom.agents dispatch")
    await send(availability=agent.AvailabilityResponse(job_id=av_req.availability.job.id, available=False))
    rc_tok = api.AccessToken(KEY, SECRET).with_identity("u").with_grants(api.VideoGrants(
        room_join=True, room="room-config")).with_room_config(api.RoomConfiguration(
            agents=[api.RoomAgentDispatch(agent_name="selftest-agent", metadata="rc")])).to_jwt()
    u = Client(srv.base, rc_tok, "u")
    await u.connect()
    av_req = await expect("availability")
    check(av_req.availability.job.room.name == "room-config" and av_req.availability.job.metadata == "rc",
          "token roomConfig.agents dispatch")
    await send(availability=agent.AvailabilityResponse(job_id=av_req.availability.job.id, available=False))
    await u.close()
    # automatic dispatch: a worker with an empty agent name gets a job for a new room; decline it
    ws2 = await http.ws_connect(f"ws://127.0.0.1:{srv.port}/agent", headers={"Authorization": "Bearer " + wtok})
    await ws2.send_bytes(agent.WorkerMessage(register=agent.RegisterWorkerRequest(type=agent.JT_ROOM)).SerializeToString())
    m = agent.ServerMessage.FromString((await ws2.receive()).data)
    check(m.WhichOneof("message") == "register", "second worker registered")
    st, _ = await twirp(http, srv.base, "RoomService", "CreateRoom", {"name": "auto-room"}, admin_token("auto-room"))
    m = agent.ServerMessage.FromString((await asyncio.wait_for(ws2.receive(), 5)).data)
    check(m.WhichOneof("message") == "availability" and m.availability.job.room.name == "auto-room" and
          m.availability.job.agent_name == "", "automatic dispatch for an empty agent name")
    await ws2.send_bytes(agent.WorkerMessage(availability=agent.AvailabilityResponse(
        job_id=m.availability.job.id, available=False)).SerializeToString())
    await asyncio.sleep(0.3)
    jobs = await admin(http, srv.base, "/_test/jobs")
    check(any(f["room"] == "auto-room" for f in jobs["launch_failures"]), "declined job -> no workers available")
    await ws2.close()
    # register deadline
    srv2 = Server(["--worker-register-deadline", "0.5"])
    try:
        ws3 = await http.ws_connect(f"ws://127.0.0.1:{srv2.port}/agent", headers={"Authorization": "Bearer " + wtok})
        msg = await asyncio.wait_for(ws3.receive(), 5)
        check(msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), f"unregistered worker closed ({msg.type})")
        await ws3.close()
    finally:
        srv2.stop()
    rt.cancel()
    await ws.close()


async def main():
    global VERBOSE
    ap = argparse.ArgumentParser()
    ap.add_argument("-v", action="store_true")
    ap.add_argument("-k", default="")
    args = ap.parse_args()
    VERBOSE = args.v
    t0 = time.time()
    srv = Server()
    print(f"server on port {srv.port} (started in {time.time() - t0:.2f}s)")
    http = aiohttp.ClientSession()
    ctx = {}
    tests = [("token and upgrade checks", t_token_checks, False),
             ("join, publish, echo, data with the bot", t_join_echo_data, True),
             ("ping and muted pongs", t_ping, True),
             ("JSON mode", t_json_mode, True),
             ("signal drop and resume", t_drop_resume, True),
             ("second participant, duplicate identity, leave, NOT_ALLOWED", t_two_participants, True),
             ("two audio tracks added to a data-only subscriber PC (echo + other's, three orders)",
              t_two_tracks_one_offer, True),
             ("establish and join deadlines", t_deadlines, True),
             ("agent worker and dispatch", t_agent, True)]
    failed = 0
    for name, fn, with_ctx in tests:
        if args.k and args.k not in name:
            continue
        t = time.time()
        try:
            await asyncio.wait_for(fn(srv, http, ctx) if with_ctx else fn(srv, http), 120)
            print(f"PASS  {name}  ({time.time() - t:.1f}s)", flush=True)
        except Exception as e:
            failed += 1
            print(f"FAIL  {name}: {type(e).__name__}: {e}", flush=True)
            if VERBOSE or not isinstance(e, Fail):
                traceback.print_exc()
    for c in ctx.values():
        try:
            await c.close()
        except Exception:
            pass
    await http.close()
    srv.stop()
    print("selftest:", "FAILED" if failed else "all passed", f"({time.time() - t0:.1f}s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
