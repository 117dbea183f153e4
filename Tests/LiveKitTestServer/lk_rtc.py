# SPDX-License-Identifier: Apache-2.0
"""The /rtc signalling WebSocket (v0: two PeerConnections) and GET /rtc/validate.

Behaviour per docs/livekit-protocol.md §1 (token checks), §3 (join, ping, leave, resume), §4
(negotiation, trickle, publishing, data channels), §5 (ICE) and the server sources cited there.
One binary protobuf SignalRequest/SignalResponse per WebSocket message (a text frame switches the
replies to protojson, like the server).

Upgrade checks, in the server's order (pkg/service/rtcservice.go validateInternal):
  bad token → 401 (lk_auth text); no video grant → 401 "no permissions to access the room";
  no roomJoin → 401 "permissions denied"; empty identity → 400 "identity cannot be empty";
  identity/room longer than 256 → 400; no room in the token → 400 "no room name";
  publish=… without canPublish, attributes=… without canUpdateOwnMetadata → 401;
  a non-upgrade GET /rtc → 404.

Each participant has a subscriber PC (server offers; ``_reliable``/``_lossy`` created by the
server) and a publisher PC (client offers, server answers), both aiortc RTCPeerConnections. The
server's candidates are trickled (never inside its SDP, like pion) unless --candidates-in-sdp.
Deviations from the real SFU are listed in server.py's docstring.

Resume (reconnect=1&sid=PA_…, same identity, within --resume-window of the drop): the first
message is ReconnectResponse{last_message_seq = last reliable sequence received from this
participant}, then a ParticipantUpdate with everyone and a RoomUpdate, then the subscriber ICE
restart: a new offer (next id) with a new ice-ufrag/ice-pwd, the same DTLS fingerprint, the same
m-sections, and the server's candidates trickled again (same addresses, final=true on the last).
DTLS and SCTP are not restarted; media and data keep flowing on the old pair until a pair with
the new credentials is nominated (the server is controlling there and nominates at once).
The client answers with its own new ufrag/pwd (checks with the old credentials get 401 from then
on), trickles its candidates again, and should re-offer on the publisher PC with new credentials:
the server notices the changed ufrag, restarts that PC the same way and answers with new
credentials. An unknown/expired sid gets LeaveRequest{STATE_MISMATCH, RECONNECT}.
"""
import asyncio
import base64
import json
import logging
import time
from collections import deque

from aiohttp import WSMsgType, web
from aiortc import RTCPeerConnection, RTCSessionDescription
from google.protobuf import json_format
from livekit.protocol import models, rtc
from livekit.protocol import room as room_pb

import lk_auth
import lk_ice
from lk_media import AudioRelay, ForwardTrack
from lk_room import Member, PublishedTrack, server_info, to_dict
from lk_store import new_id

log = logging.getLogger("lk.rtc")

MAX_SIGNAL_MESSAGE = 2 * 1024 * 1024
MAX_IDENTITY = 256
MAX_ROOM_NAME = 256
MAX_METADATA = 512 * 1024
MAX_ATTRIBUTES = 64 * 1024
PING_INTERVAL = 5
PING_TIMEOUT = 15

KINDS = {"standard": models.ParticipantInfo.STANDARD, "ingress": models.ParticipantInfo.INGRESS,
         "egress": models.ParticipantInfo.EGRESS, "sip": models.ParticipantInfo.SIP,
         "agent": models.ParticipantInfo.AGENT}
for _name in ("CONNECTOR", "BRIDGE"):
    if hasattr(models.ParticipantInfo, _name):
        KINDS[_name.lower()] = getattr(models.ParticipantInfo, _name)

SUBSCRIBER = rtc.SUBSCRIBER
PUBLISHER = rtc.PUBLISHER


class Rejected(Exception):
    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status, self.text = status, text


def permission_from_claims(claims: dict) -> models.ParticipantPermission:
    v = lk_auth.video(claims)
    perm = models.ParticipantPermission(
        can_subscribe=lk_auth.can_subscribe(v), can_publish=lk_auth.can_publish(v),
        can_publish_data=lk_auth.can_publish_data(v), hidden=bool(v.get("hidden")),
        recorder=bool(v.get("recorder")), can_update_metadata=lk_auth.can_update_own_metadata(v),
        agent=bool(v.get("agent")), can_subscribe_metrics=bool(v.get("canSubscribeMetrics")))
    if hasattr(perm, "can_manage_agent_session"):
        perm.can_manage_agent_session = bool(v.get("canManageAgentSession"))
    for name in v.get("canPublishSources") or []:
        try:
            perm.can_publish_sources.append(models.TrackSource.Value(str(name).upper()))
        except ValueError:
            pass
    return perm


def leave_request(reason: int, action: int) -> rtc.SignalResponse:
    return rtc.SignalResponse(leave=rtc.LeaveRequest(can_reconnect=action != rtc.LeaveRequest.DISCONNECT,
                                                     reason=reason, action=action))


class SignalSession:
    """One /rtc WebSocket: an ordered writer plus the ping state."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request):
        self.ws = ws
        self.transport = request.transport
        self.json = False
        self.mute_pongs = False
        self.closed = False
        self.queue: asyncio.Queue = asyncio.Queue()
        self.writer = asyncio.ensure_future(self._write())
        self.sent_types: deque = deque(maxlen=100)

    def send(self, resp: rtc.SignalResponse) -> None:
        if self.closed:
            return
        self.sent_types.append(resp.WhichOneof("message"))
        self.queue.put_nowait(resp)

    async def _write(self):
        while True:
            resp = await self.queue.get()
            if resp is None:
                return
            try:
                if self.json:
                    await self.ws.send_str(json_format.MessageToJson(resp, indent=None))
                else:
                    await self.ws.send_bytes(resp.SerializeToString())
            except Exception:
                return

    async def close(self, flush: bool = True) -> None:
        """Closes after the queued messages went out (a normal server close)."""
        if self.closed:
            return
        self.closed = True
        self.queue.put_nowait(None)
        if flush:
            try:
                await asyncio.wait_for(asyncio.shield(self.writer), 2)
            except Exception:
                pass
        self.writer.cancel()
        try:
            await asyncio.wait_for(self.ws.close(), 2)
        except Exception:
            pass

    def drop(self) -> None:
        """Loses the connection abruptly: no LeaveRequest, no close frame (a network drop)."""
        self.closed = True
        self.writer.cancel()
        if self.transport is not None:
            self.transport.close()


class RTCParticipant(Member):
    """A /rtc client: its two PeerConnections survive signal drops for the resume window."""

    def __init__(self, service: "RTCService", room: str, info: models.ParticipantInfo, claims: dict, params: dict):
        super().__init__(service.manager, room, info)
        self.service = service
        self.cfg = service.manager.cfg
        self.claims = claims
        self.token_exp = int(claims.get("exp", 0))
        self.api_key = claims.get("iss", "")
        self.protocol = params["protocol"]
        self.client_protocol = params["client_protocol"]
        self._auto_subscribe = params["auto_subscribe"]
        self.client_info = params["client_info"]
        self.subscriber_primary = self.protocol >= 3 and info.permission.can_subscribe
        self.session: SignalSession | None = None
        self.sub_pc: RTCPeerConnection | None = None
        self.pub_pc: RTCPeerConnection | None = None
        self.sub_dcs: dict = {}
        self.pub_dcs: dict = {}
        self.pub_first_offer_had_data: bool | None = None
        self.offer_id = 0
        self._neg_pending = False
        self._restart_pending = False
        self._neg_task = None
        self._sub_offer_restart = False
        self._sub_trickled = False
        self.pending_tracks: dict[str, list] = {}
        self.pending_remote: list = []
        self.tracks: dict[str, PublishedTrack] = {}
        self.subs: dict[str, dict] = {}
        self.free_slots: list = []
        self.last_reliable_seq = 0
        self.data_received: deque = deque(maxlen=200)
        self.pending_reliable: list = []
        self.signal_log: deque = deque(maxlen=100)
        self.errors: deque = deque(maxlen=50)
        self.events: deque = deque(maxlen=100)
        self.buffered_candidates = {SUBSCRIBER: [], PUBLISHER: []}
        self.ice_connected_at = {SUBSCRIBER: None, PUBLISHER: None}
        self.resumes = 0
        self._deferred_existing = False
        self._timers: dict = {}
        self.joined_at = time.time()

    # Member interface

    @property
    def auto_subscribe(self) -> bool:
        return self._auto_subscribe and self.info.permission.can_subscribe

    def published_tracks(self) -> list:
        return list(self.tracks.values())

    def send_signal(self, resp: rtc.SignalResponse) -> None:
        if self.session is not None and not self.closed:
            self.session.send(resp)

    def event(self, text: str) -> None:
        self.events.append(f"{time.time() - self.joined_at:7.3f} {text}")
        log.debug("%s/%s %s", self.room, self.identity, text)

    def error(self, text: str) -> None:
        self.errors.append(text)
        self.event("ERROR " + text)
        log.warning("%s/%s: %s", self.room, self.identity, text)

    def _later(self, name: str, delay: float, fn) -> None:
        old = self._timers.pop(name, None)
        if old:
            old.cancel()
        self._timers[name] = asyncio.get_event_loop().call_later(delay, fn)

    def _cancel(self, name: str) -> None:
        old = self._timers.pop(name, None)
        if old:
            old.cancel()

    # Lifecycle

    def start(self, session: SignalSession) -> None:
        """After the JoinResponse went out."""
        self.session = session
        self._later("join", self.cfg.join_deadline, self._join_deadline)
        self._later("refresh", self.cfg.refresh_interval, self._refresh_token)
        if self.subscriber_primary:
            self._create_sub_pc()
            self.negotiate_subscriber(immediate=True)
        if self.protocol >= 8 or not self.subscriber_primary:
            # "fast start": existing tracks are already in the first offer (m=application last)
            self.manager.subscribe_existing(self)
        else:
            self._deferred_existing = True   # subscribed once the first answer is in

    def _join_deadline(self) -> None:
        if not self.closed and self.info.state != models.ParticipantInfo.ACTIVE:
            self.event("not ACTIVE within the join deadline")
            self.disconnect(models.DisconnectReason.JOIN_FAILURE)

    def _refresh_token(self) -> None:
        if self.closed:
            return
        secret = self.service.verifier.keys.get(self.api_key)
        if secret:
            now = int(time.time())
            claims = dict(self.claims)
            claims.update(iat=now, nbf=now, exp=max(self.token_exp, now + 600))
            self.send_signal(rtc.SignalResponse(refresh_token=lk_auth.mint(self.api_key, secret, claims)))
        self._later("refresh", self.cfg.refresh_interval, self._refresh_token)

    def on_signal_lost(self, session: SignalSession) -> None:
        if session is not self.session or self.closed:
            return
        self.session = None
        self.event("signal connection lost; kept for the resume window")
        self._later("resume", self.cfg.resume_window, self._resume_expired)

    def _resume_expired(self) -> None:
        if not self.closed and self.session is None:
            self.event("no resume within the window")
            self.manager.detach(self, models.DisconnectReason.SIGNAL_CLOSE)
            self._teardown()

    def resume(self, session: SignalSession, claims: dict) -> None:
        """reconnect=1: ReconnectResponse, ParticipantUpdate, RoomUpdate, subscriber ICE restart."""
        self._cancel("resume")
        old = self.session
        self.session = session
        self.claims = claims
        self.token_exp = int(claims.get("exp", self.token_exp))
        self.resumes += 1
        if old is not None and old is not session:
            asyncio.ensure_future(old.close(flush=False))
        self.event("resumed")
        session.send(rtc.SignalResponse(reconnect=rtc.ReconnectResponse(
            server_info=server_info(), last_message_seq=self.last_reliable_seq,
            client_configuration=models.ClientConfiguration())))
        infos = [i for i in self.manager.visible_infos(self.room)]
        session.send(rtc.SignalResponse(update=rtc.ParticipantUpdate(participants=infos)))
        session.send(rtc.SignalResponse(room_update=rtc.RoomUpdate(room=self.manager.store.snapshot(self.room))))
        if self.sub_pc is not None:
            self.negotiate_subscriber(restart=True, immediate=True)

    def disconnect(self, reason: int, action: int = rtc.LeaveRequest.DISCONNECT) -> None:
        """Server-initiated: LeaveRequest, close the socket, remove the participant."""
        if self.closed:
            return
        self.event(f"disconnect {models.DisconnectReason.Name(reason)}")
        session = self.session
        if session is not None:
            session.send(leave_request(reason, action))
            asyncio.ensure_future(session.close())
        self.manager.detach(self, reason)
        self._teardown()

    def _teardown(self) -> None:
        for t in self._timers.values():
            t.cancel()
        self._timers.clear()
        for sid in list(self.subs):
            self._drop_subscription(sid)
        for pc in (self.sub_pc, self.pub_pc):
            if pc is not None:
                asyncio.ensure_future(pc.close())
        if self.session is not None:
            asyncio.ensure_future(self.session.close())
        self.session = None

    def on_track_muted(self, track: models.TrackInfo) -> None:
        """RoomService.MutePublishedTrack: the publisher is told to mute (participant.go sendTrackMuted)."""
        self.send_signal(rtc.SignalResponse(mute=rtc.MuteTrackRequest(sid=track.sid, muted=track.muted)))

    def leave_signal(self, reason: int, action: int) -> None:
        """Admin fault: send a LeaveRequest and close; RESUME keeps the participant for a resume."""
        session = self.session
        if session is None:
            return
        session.send(leave_request(reason, action))
        asyncio.ensure_future(session.close())
        if action == rtc.LeaveRequest.RESUME:
            self.on_signal_lost(session)
        else:
            self.manager.detach(self, reason)
            self._teardown()

    # Signal requests

    async def handle(self, req: rtc.SignalRequest, session: SignalSession) -> None:
        which = req.WhichOneof("message")
        self.signal_log.append(which)
        if which == "ping":
            if not session.mute_pongs:
                session.send(rtc.SignalResponse(pong=int(time.time() * 1000)))
            return
        if which == "ping_req":
            if not session.mute_pongs:
                session.send(rtc.SignalResponse(pong_resp=rtc.Pong(last_ping_timestamp=req.ping_req.timestamp,
                                                                     timestamp=int(time.time() * 1000))))
            return
        if session is not self.session or self.closed:
            return
        handler = getattr(self, "on_" + (which or "unknown"), None)
        if handler is None:
            self.event(f"ignored {which}")
            return
        try:
            await handler(getattr(req, which))
        except Exception as e:   # keep the session alive; the error is visible in /_test/rooms
            log.exception("handling %s", which)
            self.error(f"{which}: {type(e).__name__}: {e}")

    async def on_leave(self, req) -> None:
        self.event(f"client leave {models.DisconnectReason.Name(req.reason)}")
        self.manager.detach(self, models.DisconnectReason.CLIENT_INITIATED)
        self._teardown()

    async def on_offer(self, sd) -> None:
        if sd.type and sd.type != "offer":
            self.error(f"offer with type {sd.type!r}")
        if self.pub_pc is None:
            self._create_pub_pc()
        pc = self.pub_pc
        first = pc.remoteDescription is None
        if first:
            self.pub_first_offer_had_data = "\nm=application" in sd.sdp.replace("\r\n", "\n")
        ufrag, _ = lk_ice.ice_credentials(sd.sdp)
        current = lk_ice.remote_ufrag(pc) if not first else None
        restart = not first and ufrag is not None and current is not None and ufrag != current
        if restart:
            self.event("publisher ICE restart (new client ufrag)")
            lk_ice.begin_restart(pc)
        await pc.setRemoteDescription(RTCSessionDescription(sd.sdp, "offer"))
        answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)
        if restart:
            lk_ice.finish_restart(pc, sd.sdp, on_failed=lambda: self._pc_failed(PUBLISHER))
        sdp = lk_ice.wire_sdp(pc.localDescription.sdp, self.cfg.trickle)
        self.send_signal(rtc.SignalResponse(answer=rtc.SessionDescription(type="answer", sdp=sdp, id=sd.id)))
        if self.info.state == models.ParticipantInfo.JOINING:
            self.info.state = models.ParticipantInfo.JOINED
        if self.cfg.trickle and (first or restart):
            self._trickle(pc, PUBLISHER)
        await self._flush_candidates(PUBLISHER)
        self._check_unpublished(sd.sdp)

    async def on_answer(self, sd) -> None:
        pc = self.sub_pc
        if pc is None or pc.signalingState != "have-local-offer":
            self.error(f"answer id={sd.id} without an outstanding offer")
            return
        if sd.id and sd.id != self.offer_id:
            self.error(f"stale answer id={sd.id} (current offer id={self.offer_id}), ignored")
            return
        restart = self._sub_offer_restart
        await pc.setRemoteDescription(RTCSessionDescription(sd.sdp, "answer"))
        if restart:
            lk_ice.finish_restart(pc, sd.sdp, on_failed=lambda: self._pc_failed(SUBSCRIBER))
        await self._flush_candidates(SUBSCRIBER)
        if self._deferred_existing:
            self._deferred_existing = False
            self.manager.subscribe_existing(self)
        if self._neg_pending or self._restart_pending:
            self.negotiate_subscriber()

    async def on_trickle(self, t) -> None:
        try:
            init = json.loads(t.candidateInit)
        except ValueError:
            self.error(f"trickle candidateInit is not JSON: {t.candidateInit!r}")
            return
        pc = self.sub_pc if t.target == SUBSCRIBER else self.pub_pc
        if pc is None or pc.remoteDescription is None:
            self.buffered_candidates[t.target].append(init)
            return
        result = await lk_ice.add_remote_candidate(pc, init)
        self.event(f"remote {rtc.SignalTarget.Name(t.target)} candidate {init.get('candidate', '')!r}: {result}")

    async def _flush_candidates(self, target) -> None:
        pc = self.sub_pc if target == SUBSCRIBER else self.pub_pc
        pending, self.buffered_candidates[target] = self.buffered_candidates[target], []
        for init in pending:
            result = await lk_ice.add_remote_candidate(pc, init)
            self.event(f"remote {rtc.SignalTarget.Name(target)} candidate (buffered) "
                       f"{init.get('candidate', '')!r}: {result}")

    async def on_add_track(self, req) -> None:
        perm = self.info.permission
        allowed = perm.can_publish and (not perm.can_publish_sources or req.source in perm.can_publish_sources)
        if not allowed:
            self._request_response(models_reason("NOT_ALLOWED"), add_track=req)
            return
        if req.type not in (models.AUDIO, models.VIDEO):
            self._request_response(models_reason("UNSUPPORTED_TYPE"), add_track=req)
            return
        if req.sid:
            self._request_response(models_reason("NOT_FOUND"), add_track=req)
            return
        ti = models.TrackInfo(sid=new_id("TR_A" if req.type == models.AUDIO else "TR_V"), type=req.type,
                              name=req.name, muted=req.muted, width=req.width, height=req.height,
                              source=req.source, disable_red=req.disable_red, disable_dtx=req.disable_dtx,
                              stereo=req.stereo, encryption=req.encryption, stream=req.stream,
                              backup_codec_policy=req.backup_codec_policy)
        ti.layers.extend(req.layers)
        features = list(dict.fromkeys(req.audio_features))
        if req.stereo and models.TF_STEREO not in features:
            features.append(models.TF_STEREO)
        if req.disable_dtx and models.TF_NO_DTX not in features:
            features.append(models.TF_NO_DTX)
        ti.audio_features.extend(features)
        if not ti.stream:
            ti.stream = "screen" if req.source in (models.SCREEN_SHARE, models.SCREEN_SHARE_AUDIO) else "camera"
        if req.type == models.AUDIO:
            ti.mime_type = "audio/opus"
        codec = ti.codecs.add()
        codec.cid = req.cid
        codec.mime_type = ti.mime_type
        codec.layers.extend(req.layers)
        queued = req.cid in self.pending_tracks or any(p.cid == req.cid for p in self.tracks.values())
        self.pending_tracks.setdefault(req.cid, []).append(ti)
        if queued:
            self._request_response(models_reason("QUEUED"), add_track=req)
            return
        self.send_signal(rtc.SignalResponse(track_published=rtc.TrackPublishedResponse(cid=req.cid, track=ti)))
        pending, self.pending_remote = self.pending_remote, []
        for track, mid in pending:
            self._match_track(track, mid)

    async def on_mute(self, req) -> None:
        for t in self.info.tracks:
            if t.sid == req.sid:
                if t.muted != req.muted:
                    t.muted = req.muted
                    self.manager.participant_changed(self)
                return
        for infos in self.pending_tracks.values():
            for t in infos:
                if t.sid == req.sid:
                    t.muted = req.muted
                    return
        self._request_response(models_reason("NOT_FOUND"), mute=req)

    async def on_update_metadata(self, req) -> None:
        if not self.info.permission.can_update_metadata:
            self._request_response(models_reason("NOT_ALLOWED"), update_metadata=req, request_id=req.request_id)
            return
        attrs = dict(self.info.attributes)
        for k, v in req.attributes.items():
            if v:
                attrs[k] = v
            else:
                attrs.pop(k, None)
        if len(req.metadata.encode()) > MAX_METADATA or \
                sum(len(k.encode()) + len(v.encode()) for k, v in attrs.items()) > MAX_ATTRIBUTES:
            self._request_response(models_reason("LIMIT_EXCEEDED"), update_metadata=req, request_id=req.request_id)
            return
        if req.name:
            self.info.name = req.name
        if req.metadata:
            self.info.metadata = req.metadata
        self.info.attributes.clear()
        self.info.attributes.update(attrs)
        self.manager.participant_changed(self)
        if self.protocol >= 15:
            self._request_response(models_reason("OK"), update_metadata=req, request_id=req.request_id)

    async def on_subscription(self, req) -> None:
        wanted = list(req.track_sids)
        for pt in req.participant_tracks:
            wanted.extend(pt.track_sids)
        for sid in wanted:
            publisher, ptrack = self.manager.find_track(self.room, sid)
            if ptrack is None:
                self.send_signal(rtc.SignalResponse(subscription_response=rtc.SubscriptionResponse(
                    track_sid=sid, err=models.SE_TRACK_NOTFOUND)))
                continue
            if req.subscribe:
                self.subscribe(publisher, ptrack)
            else:
                self.unsubscribe(sid)

    async def on_sync_state(self, req) -> None:
        self.event("sync_state received (recorded, not applied)")

    async def on_track_setting(self, req) -> None:
        pass

    async def on_update_layers(self, req) -> None:
        pass

    async def on_subscription_permission(self, req) -> None:
        pass

    async def on_simulate(self, req) -> None:
        self.event("simulate ignored")

    def _request_response(self, reason: int, request_id: int = 0, **request) -> None:
        rr = rtc.RequestResponse(request_id=request_id, reason=reason)
        for field, msg in request.items():
            getattr(rr, field).CopyFrom(msg)
        self.send_signal(rtc.SignalResponse(request_response=rr))

    # Subscriber PC

    def _create_sub_pc(self) -> None:
        pc = RTCPeerConnection(lk_ice.rtc_configuration())
        self.sub_pc = pc
        reliable = pc.createDataChannel("_reliable", ordered=True)
        lossy = pc.createDataChannel("_lossy", ordered=False, maxRetransmits=0)
        self.sub_dcs = {"_reliable": reliable, "_lossy": lossy}
        for ch in (reliable, lossy):
            ch.on("message", lambda m, label=ch.label: self.event(f"message on subscriber {label} (ignored)"))
        sctp = pc.sctp
        original = sctp._set_state

        def set_state(state, _orig=original):
            _orig(state)
            # pion marks its own channels open once DCEP OPEN is sent, without waiting for the ACK.
            if state == sctp.State.ESTABLISHED:
                for ch in (reliable, lossy):
                    if ch.readyState == "connecting":
                        ch._setReadyState("open")
                self.event("subscriber SCTP established; _reliable/_lossy open")
                self._flush_reliable()
        sctp._set_state = set_state
        pc.on("connectionstatechange", lambda: self._pc_state(SUBSCRIBER))
        pc.on("iceconnectionstatechange", lambda: self._ice_state(SUBSCRIBER))

    def negotiate_subscriber(self, restart: bool = False, immediate: bool = False) -> None:
        if self.closed or self.sub_pc is None:
            return
        self._neg_pending = True
        if restart:
            self._restart_pending = True
        if self._neg_task is None or self._neg_task.done():
            self._neg_task = asyncio.ensure_future(self._negotiate(immediate))

    async def _negotiate(self, immediate: bool) -> None:
        if not immediate:
            await asyncio.sleep(0.15)   # the server debounces renegotiation by 150 ms
        pc = self.sub_pc
        if self.closed or self.session is None or pc is None:
            return
        restart = self._restart_pending
        if pc.signalingState == "have-local-offer" and not restart:
            return   # the answer handler negotiates again
        self._neg_pending = False
        self._restart_pending = False
        try:
            if restart:
                lk_ice.begin_restart(pc)
            offer = await pc.createOffer()
            await pc.setLocalDescription(offer)
        except Exception as e:
            log.exception("subscriber offer")
            self.error(f"subscriber offer failed: {e}")
            return
        self.offer_id += 1
        self._sub_offer_restart = restart
        sdp = lk_ice.wire_sdp(pc.localDescription.sdp, self.cfg.trickle)
        mids = {}
        for sid, sub in self.subs.items():
            if sub["transceiver"].mid is not None:
                mids[sub["transceiver"].mid] = sid
        self.event(f"subscriber offer id={self.offer_id} restart={restart} tracks={mids}")
        self.send_signal(rtc.SignalResponse(offer=rtc.SessionDescription(
            type="offer", sdp=sdp, id=self.offer_id, mid_to_track_id=mids)))
        if self.cfg.trickle and (restart or not self._sub_trickled):
            self._sub_trickled = True
            self._trickle(pc, SUBSCRIBER)

    def _trickle(self, pc, target) -> None:
        inits = lk_ice.local_candidate_inits(pc)
        for i, init in enumerate(inits):
            self.send_signal(rtc.SignalResponse(trickle=rtc.TrickleRequest(
                candidateInit=lk_ice.candidate_init_json(init), target=target, final=i == len(inits) - 1)))

    def subscribe(self, publisher: Member, ptrack: PublishedTrack) -> None:
        sid = ptrack.info.sid
        if self.closed or sid in self.subs or ptrack.relay is None or not self.info.permission.can_subscribe:
            return
        if self.sub_pc is None:
            self._create_sub_pc()
        if self.protocol >= 4 and self.free_slots:
            transceiver, fwd = self.free_slots.pop(0)
            transceiver.direction = "sendonly"
        else:
            fwd = ForwardTrack()
            transceiver = self.sub_pc.addTransceiver(fwd, direction="sendonly")
        transceiver.sender._stream_id = f"{publisher.sid}|{sid}"   # PackStreamID
        transceiver.sender._track_id = sid
        fwd.attach(ptrack.relay)
        self.subs[sid] = {"transceiver": transceiver, "track": fwd, "ptrack": ptrack, "publisher": publisher}
        ptrack.subscribers.add(self)
        self.event(f"subscribed to {publisher.identity}/{sid}")
        if sid not in publisher_first_subscribed(publisher):
            publisher_first_subscribed(publisher).add(sid)
            publisher.send_signal(rtc.SignalResponse(track_subscribed=rtc.TrackSubscribed(track_sid=sid)))
        self.negotiate_subscriber()

    def _drop_subscription(self, sid: str):
        sub = self.subs.pop(sid, None)
        if sub is None:
            return None
        sub["track"].detach()
        sub["ptrack"].subscribers.discard(self)
        return sub

    def unsubscribe(self, sid: str) -> None:
        sub = self._drop_subscription(sid)
        if sub is None or self.closed:
            return
        sub["transceiver"].direction = "inactive"
        self.free_slots.append((sub["transceiver"], sub["track"]))
        self.event(f"unsubscribed from {sid}")
        self.negotiate_subscriber()

    # Publisher PC

    def _create_pub_pc(self) -> None:
        pc = RTCPeerConnection(lk_ice.rtc_configuration())
        self.pub_pc = pc
        pc.on("datachannel", self._on_pub_datachannel)
        pc.on("track", self._on_pub_track)
        pc.on("connectionstatechange", lambda: self._pc_state(PUBLISHER))
        pc.on("iceconnectionstatechange", lambda: self._ice_state(PUBLISHER))

    def _on_pub_datachannel(self, ch) -> None:
        self.pub_dcs[ch.label] = ch
        self.event(f"publisher data channel {ch.label!r} id={ch.id} ordered={ch.ordered} "
                   f"maxRetransmits={ch.maxRetransmits}")
        if ch.label == "_reliable":
            kind = models.DataPacket.RELIABLE
        elif ch.label == "_lossy":
            kind = models.DataPacket.LOSSY
        else:
            ch.on("message", lambda m, label=ch.label: self.event(f"message on {label!r} (ignored)"))
            return
        ch.on("message", lambda m, k=kind: self._on_data(k, m))
        if not self.subscriber_primary:
            self._flush_reliable()

    def _on_pub_track(self, track) -> None:
        mid = None
        for t in self.pub_pc.getTransceivers():
            if t.receiver.track is track:
                mid = t.mid
        self.event(f"publisher track kind={track.kind} msid-track={track.id} mid={mid}")
        self._match_track(track, mid)

    def _match_track(self, track, mid) -> None:
        """participant.go mediaTrackReceived/getPendingTrack: by cid, else first pending of the kind."""
        kind = models.AUDIO if track.kind == "audio" else models.VIDEO
        cid = track.id if track.id in self.pending_tracks else None
        if cid is None:
            for c, infos in self.pending_tracks.items():
                if infos and infos[0].type == kind:
                    cid = c
                    break
        if cid is None:
            self.pending_remote.append((track, mid))
            return
        ti = self.pending_tracks[cid].pop(0)
        if not self.pending_tracks[cid]:
            del self.pending_tracks[cid]
        if mid is not None:
            ti.mid = mid
        if kind == models.AUDIO:
            ti.mime_type = "audio/opus"
            if ti.codecs:
                ti.codecs[0].mime_type = "audio/opus"
                if mid is not None:
                    ti.codecs[0].mid = mid
        ptrack = PublishedTrack(publisher=self, info=ti, cid=cid, mid=mid or "",
                                relay=AudioRelay(track) if kind == models.AUDIO else None)
        self.tracks[ti.sid] = ptrack
        self.info.tracks.append(ti)
        self.info.is_publisher = True
        self.event(f"track {ti.sid} published (cid={cid})")
        self.manager.track_published(self, ptrack)

    def _check_unpublished(self, sdp: str) -> None:
        """A publisher m-section turned inactive/recvonly (or rejected) unpublishes its track."""
        sections = sdp.replace("\r\n", "\n").split("\nm=")[1:]
        gone = set()
        for sec in sections:
            lines = sec.split("\n")
            mid = next((ln[6:] for ln in lines if ln.startswith("a=mid:")), None)
            port = lines[0].split()[1] if len(lines[0].split()) > 1 else "9"
            inactive = port == "0" or "a=inactive" in lines or "a=recvonly" in lines
            if mid is not None and inactive:
                gone.add(mid)
        for sid, ptrack in list(self.tracks.items()):
            if ptrack.mid and ptrack.mid in gone:
                self._unpublish(sid)

    def _unpublish(self, sid: str) -> None:
        ptrack = self.tracks.pop(sid, None)
        if ptrack is None:
            return
        for sub in list(ptrack.subscribers):
            sub.unsubscribe(sid)
        if ptrack.relay is not None:
            ptrack.relay.stop()
        for i, t in enumerate(self.info.tracks):
            if t.sid == sid:
                del self.info.tracks[i]
                break
        self.event(f"track {sid} unpublished")
        self.manager.participant_changed(self)

    # Data

    def _on_data(self, kind: int, message) -> None:
        if self.closed or not self.info.permission.can_publish_data:
            return
        if isinstance(message, str):
            self.error(f"text message on a data channel (ignored): {message[:40]!r}")
            return
        dp = models.DataPacket()
        try:
            dp.ParseFromString(message)
        except Exception:
            self.error(f"undecodable DataPacket ({len(message)} bytes)")
            return
        entry = {"time": time.time(), "kind": models.DataPacket.Kind.Name(kind), "type": dp.WhichOneof("value"),
                 "sequence": dp.sequence, "bytes": len(message)}
        if kind == models.DataPacket.RELIABLE and dp.sequence > 0:
            if dp.sequence <= self.last_reliable_seq:
                entry["dropped"] = f"sequence {dp.sequence} <= last {self.last_reliable_seq}"
                self.data_received.append(entry)
                return
            self.last_reliable_seq = dp.sequence
        forward = self.manager.normalise_data(self, kind, dp)
        entry["packet"] = to_dict(dp)
        if not forward:
            entry["dropped"] = "not forwarded"
        self.data_received.append(entry)
        if forward:
            entry["recipients"] = self.manager.route_data(self.room, self, kind, dp)

    def deliver_data(self, kind: int, dp: models.DataPacket, sender) -> None:
        if self.closed:
            return
        channels = self.sub_dcs if self.subscriber_primary else self.pub_dcs
        label = "_reliable" if kind == models.DataPacket.RELIABLE else "_lossy"
        ch = channels.get(label)
        data = dp.SerializeToString()
        if ch is not None and ch.readyState == "open":
            try:
                ch.send(data)
            except Exception as e:
                self.error(f"data send failed: {e}")
        elif kind == models.DataPacket.RELIABLE and len(self.pending_reliable) < 1000:
            self.pending_reliable.append(data)

    def _flush_reliable(self) -> None:
        channels = self.sub_dcs if self.subscriber_primary else self.pub_dcs
        ch = channels.get("_reliable")
        if ch is None or ch.readyState != "open":
            return
        pending, self.pending_reliable = self.pending_reliable, []
        for data in pending:
            ch.send(data)

    # Transport state and deadlines

    def _fully_established(self, target) -> bool:
        if target == SUBSCRIBER:
            return all(self.sub_dcs.get(l) is not None and self.sub_dcs[l].readyState == "open"
                       for l in ("_reliable", "_lossy"))
        if self.pub_first_offer_had_data is False:
            return True
        return "_reliable" in self.pub_dcs and "_lossy" in self.pub_dcs

    def _ice_state(self, target) -> None:
        pc = self.sub_pc if target == SUBSCRIBER else self.pub_pc
        name = rtc.SignalTarget.Name(target).lower()
        self.event(f"{name} ICE {pc.iceConnectionState}")
        if pc.iceConnectionState == "completed" and self.ice_connected_at[target] is None:
            self.ice_connected_at[target] = time.time()
            self._later(f"establish-{name}", self.cfg.establish_deadline, lambda: self._establish_check(target))

    def _establish_check(self, target) -> None:
        if self.closed or self._fully_established(target):
            return
        name = rtc.SignalTarget.Name(target).lower()
        self._transport_failed(f"{name} PC not fully established (_reliable and _lossy open) "
                               f"{self.cfg.establish_deadline:g}s after ICE connected")

    def _pc_state(self, target) -> None:
        pc = self.sub_pc if target == SUBSCRIBER else self.pub_pc
        name = rtc.SignalTarget.Name(target).lower()
        self.event(f"{name} PC {pc.connectionState}")
        primary = SUBSCRIBER if self.subscriber_primary else PUBLISHER
        if pc.connectionState == "connected" and target == primary and \
                self.info.state != models.ParticipantInfo.ACTIVE and not self.closed:
            self.info.state = models.ParticipantInfo.ACTIVE
            self._cancel("join")
            self.manager.participant_changed(self, include_self=False)
            if self.manager.agents is not None:
                self.manager.agents.on_participant_active(self.room, self)
        if pc.connectionState == "failed":
            self._pc_failed(target)

    def _pc_failed(self, target) -> None:
        if not self.closed:
            self._transport_failed(f"{rtc.SignalTarget.Name(target).lower()} PC failed")

    def _transport_failed(self, why: str) -> None:
        """participant.go onAnyTransportFailed: LeaveRequest{RESUME}, close the signal connection."""
        self.error(why)
        session = self.session
        if session is None:
            return
        session.send(leave_request(models.DisconnectReason.CONNECTION_TIMEOUT, rtc.LeaveRequest.RESUME))
        asyncio.ensure_future(session.close())
        self.on_signal_lost(session)

    # Admin view

    def _pc_snapshot(self, pc, target):
        if pc is None:
            return None
        dcs = self.sub_dcs if target == SUBSCRIBER else self.pub_dcs
        out = {"connection_state": pc.connectionState, "ice_state": pc.iceConnectionState,
               "signaling_state": pc.signalingState,
               "data_channels": {label: ch.readyState for label, ch in dcs.items()},
               "fully_established": self._fully_established(target)}
        it = lk_ice.primary_transport(pc)
        if it is not None:
            conn = it._connection
            pair = conn._nominated.get(1)
            out["ice"] = {"local_ufrag": conn.local_username, "remote_ufrag": conn.remote_username,
                          "selected_pair": [list(pair.local_addr), list(pair.remote_addr)] if pair else None,
                          "local_candidates": [f"{c.host}:{c.port}" for c in conn.local_candidates],
                          "remote_candidates": [f"{c.host}:{c.port} {c.type}" for c in conn.remote_candidates]}
        if pc.remoteDescription is not None:
            out["remote_sdp"] = pc.remoteDescription.sdp
        if pc.localDescription is not None:
            out["local_sdp"] = pc.localDescription.sdp
        return out

    def snapshot(self) -> dict:
        d = super().snapshot()
        d.update({
            "protocol": self.protocol, "client_protocol": self.client_protocol,
            "auto_subscribe": self._auto_subscribe, "subscriber_primary": self.subscriber_primary,
            "signal_connected": self.session is not None, "resumes": self.resumes,
            "permission": to_dict(self.info.permission), "metadata": self.info.metadata,
            "attributes": dict(self.info.attributes), "name": self.info.name,
            "client_info": self.client_info,
            "subscriber_pc": self._pc_snapshot(self.sub_pc, SUBSCRIBER),
            "publisher_pc": self._pc_snapshot(self.pub_pc, PUBLISHER),
            "published": {sid: {"cid": p.cid, "mid": p.mid,
                                "media": p.relay.stats() if p.relay is not None else None,
                                "subscribers": sorted(s.identity for s in p.subscribers)}
                          for sid, p in self.tracks.items()},
            "pending_tracks": {cid: [to_dict(t) for t in infos] for cid, infos in self.pending_tracks.items()},
            "subscriptions": [{"track_sid": sid, "publisher": s["publisher"].identity,
                               "mid": s["transceiver"].mid, "frames_sent": s["track"].sent,
                               "sender_started": bool(getattr(s["transceiver"].sender, "_RTCRtpSender__started",
                                                              False))}
                              for sid, s in self.subs.items()],
            "last_reliable_seq": self.last_reliable_seq,
            "data_received": list(self.data_received),
            "signal_received": list(self.signal_log),
            "signal_sent": list(self.session.sent_types) if self.session else [],
            "offer_id": self.offer_id, "errors": list(self.errors), "events": list(self.events),
        })
        return d


def models_reason(name: str) -> int:
    return rtc.RequestResponse.Reason.Value(name)


def publisher_first_subscribed(member) -> set:
    """Track sids already reported with track_subscribed to their publisher."""
    return member.__dict__.setdefault("_subscribed_once", set())


class RTCService:
    def __init__(self, store, verifier, manager, authenticate):
        lk_ice.server_profile()
        self.store = store
        self.verifier = verifier
        self.manager = manager
        self.authenticate = authenticate

    # Validation (pkg/service/rtcservice.go validateInternal)

    def _validate(self, request: web.Request, strict: bool) -> dict:
        try:
            claims = self.authenticate(request, self.verifier)
        except lk_auth.AuthFailure as e:
            raise Rejected(401, str(e))
        if not claims or not isinstance(claims.get("video"), dict):
            raise Rejected(401, "no permissions to access the room")
        v = claims["video"]
        if not v.get("roomJoin"):
            raise Rejected(401, lk_auth.PERMISSION_DENIED)
        identity = lk_auth.identity(claims)
        if not identity:
            raise Rejected(400, "identity cannot be empty")
        if len(identity) > MAX_IDENTITY:
            raise Rejected(400, f"participant identity length exceeds limits: max length {MAX_IDENTITY}")
        room = str(v.get("room") or "")
        if not room:
            raise Rejected(400, "no room name")
        if len(room) > MAX_ROOM_NAME:
            raise Rejected(400, f"room name length exceeds limits: max length {MAX_ROOM_NAME}")
        q = request.query
        publish = q.get("publish", "")
        if publish:
            if not lk_auth.can_publish(v):
                raise Rejected(401, "no permissions to access the room")
            identity += "#" + publish
        attributes = {}
        if q.get("attributes"):
            if not lk_auth.can_update_own_metadata(v):
                raise Rejected(401, "no permissions to access the room")
            try:
                raw = q["attributes"]
                attributes = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
                if not isinstance(attributes, dict):
                    raise ValueError
            except Exception:
                if strict:
                    raise Rejected(400, "cannot decode attributes")
                attributes = {}

        def num(name):
            try:
                return int(q.get(name, ""))
            except ValueError:
                return 0
        auto_sub = q.get("auto_subscribe", "")
        return {"claims": claims, "identity": identity, "room": room, "publish": publish,
                "attributes": attributes, "protocol": num("protocol"), "client_protocol": num("client_protocol"),
                "auto_subscribe": True if auto_sub == "" else auto_sub in ("1", "true"),
                "reconnect": q.get("reconnect", "") in ("1", "true"), "sid": q.get("sid", ""),
                "reconnect_reason": num("reconnect_reason"),
                "client_info": {k: q[k] for k in ("sdk", "version", "os", "os_version", "device_model", "browser",
                                                  "browser_version", "network", "capabilities") if k in q}}

    async def validate(self, request: web.Request) -> web.Response:
        try:
            self._validate(request, strict=True)
        except Rejected as e:
            return web.Response(status=e.status, text=e.text)
        return web.Response(text="success")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:   # the auth middleware runs first: a bad token is 401 even without an upgrade
            self.authenticate(request, self.verifier)
        except lk_auth.AuthFailure as e:
            return web.Response(status=401, text=str(e))
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return web.Response(status=404)
        try:
            params = self._validate(request, strict=False)
        except Rejected as e:
            return web.Response(status=e.status, text=e.text)
        ws = web.WebSocketResponse(max_msg_size=MAX_SIGNAL_MESSAGE, heartbeat=10)
        if params["reconnect"]:
            member = self.manager.member(params["room"], params["identity"])
            await ws.prepare(request)
            session = SignalSession(ws, request)
            if not isinstance(member, RTCParticipant) or member.closed or member.sid != params["sid"]:
                session.send(leave_request(models.DisconnectReason.STATE_MISMATCH, rtc.LeaveRequest.RECONNECT))
                await session.close()
                return ws
            member.resume(session, params["claims"])
            await self._read(ws, session, member)
            return ws
        member = self._join(params)
        await ws.prepare(request)
        session = SignalSession(ws, request)
        session.send(rtc.SignalResponse(join=self._join_response(member)))
        member.start(session)
        self.manager.broadcast_participants(member.room, [member.info], skip=member)
        if self.manager.agents is not None:
            self.manager.agents.on_participant_joined(member.room, member)
        await self._read(ws, session, member)
        return ws

    def _join(self, params) -> RTCParticipant:
        claims = params["claims"]
        room = params["room"]
        if room not in self.store.rooms:
            cfg = claims.get("roomConfig") if isinstance(claims.get("roomConfig"), dict) else {}
            conf = room_pb.RoomConfiguration()
            agents = []
            empty = departure = maxp = 0
            metadata = ""
            if cfg:
                try:
                    json_format.ParseDict(cfg, conf, ignore_unknown_fields=True)
                    agents = list(conf.agents)
                    empty, departure, maxp, metadata = (conf.empty_timeout, conf.departure_timeout,
                                                        conf.max_participants, conf.metadata)
                except Exception as e:
                    log.warning("bad roomConfig in token: %s", e)
            self.store.create_room(room, empty, departure, maxp, metadata, agents)
        old = self.manager.member(room, params["identity"])
        if old is not None:
            old.disconnect(models.DisconnectReason.DUPLICATE_IDENTITY)
        state = self.store.rooms[room]
        passive = state.participants.pop(params["identity"], None)
        if passive is not None:
            self.manager.broadcast_participants(room, [models.ParticipantInfo(
                sid=passive.sid, identity=passive.identity, state=models.ParticipantInfo.DISCONNECTED)])
        now = time.time()
        info = models.ParticipantInfo(
            sid=new_id("PA_"), identity=params["identity"], state=models.ParticipantInfo.JOINED,
            name=str(claims.get("name") or ""), metadata=str(claims.get("metadata") or ""),
            joined_at=int(now), joined_at_ms=int(now * 1000), version=1,
            permission=permission_from_claims(claims),
            kind=KINDS.get(str(claims.get("kind") or "").lower(), models.ParticipantInfo.STANDARD),
            client_protocol=params["client_protocol"])
        attrs = claims.get("attributes") if isinstance(claims.get("attributes"), dict) else {}
        info.attributes.update({str(k): str(v) for k, v in attrs.items()})
        info.attributes.update({str(k): str(v) for k, v in params["attributes"].items() if v})
        if params["publish"]:
            info.permission.can_subscribe = False
        for detail in claims.get("kindDetails") or []:
            try:
                info.kind_details.append(models.ParticipantInfo.KindDetail.Value(str(detail).upper()))
            except (ValueError, AttributeError):
                pass
        stored = self.store.add_participant(room, info, notify=False)
        member = RTCParticipant(self, room, stored, claims, params)
        self.manager.attach(member)
        return member

    def _join_response(self, member: RTCParticipant) -> rtc.JoinResponse:
        jr = rtc.JoinResponse(
            room=self.store.snapshot(member.room), participant=member.info,
            other_participants=self.manager.visible_infos(member.room, exclude=member.identity),
            server_version=server_info().version, subscriber_primary=member.subscriber_primary,
            ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT, server_info=server_info(),
            fast_publish=member.info.permission.can_publish,
            client_configuration=models.ClientConfiguration())
        return jr

    async def _read(self, ws: web.WebSocketResponse, session: SignalSession, member: RTCParticipant) -> None:
        try:
            async for msg in ws:
                if msg.type == WSMsgType.BINARY:
                    req = rtc.SignalRequest()
                    try:
                        req.ParseFromString(msg.data)
                    except Exception:
                        member.error(f"undecodable SignalRequest ({len(msg.data)} bytes)")
                        continue
                elif msg.type == WSMsgType.TEXT:
                    session.json = True
                    req = rtc.SignalRequest()
                    try:
                        json_format.Parse(msg.data, req, ignore_unknown_fields=True)
                    except Exception:
                        member.error("undecodable JSON SignalRequest")
                        continue
                else:
                    break
                await member.handle(req, session)
        finally:
            if not session.closed:
                session.closed = True
                session.writer.cancel()
            member.on_signal_lost(session)

    # Admin: /_test/signal-fault

    async def signal_fault(self, request: web.Request) -> web.Response:
        spec = await request.json()
        identity = spec.get("identity", "")
        room = spec.get("room")
        members = [m for r in ([room] if room else list(self.manager.live)) for m in self.manager.members(r)
                   if m.identity == identity and isinstance(m, RTCParticipant)]
        if not members:
            return web.json_response({"error": f"no connected participant {identity!r}"}, status=404)
        m = members[0]
        action = spec.get("action", "")
        if action == "drop":
            if m.session is None:
                return web.json_response({"error": "signal connection already down"}, status=409)
            session = m.session
            session.drop()
            m.on_signal_lost(session)
        elif action == "leave":
            reason = spec.get("reason", "STATE_MISMATCH")
            reason = models.DisconnectReason.Value(reason) if isinstance(reason, str) else int(reason)
            leave_action = spec.get("leave_action", spec.get("action_kind", "RESUME"))
            leave_action = rtc.LeaveRequest.Action.Value(leave_action) if isinstance(leave_action, str) \
                else int(leave_action)
            m.leave_signal(reason, leave_action)
        elif action in ("mute-pongs", "unmute-pongs"):
            if m.session is None:
                return web.json_response({"error": "signal connection down"}, status=409)
            m.session.mute_pongs = action == "mute-pongs"
        else:
            return web.json_response({"error": f"unknown action {action!r}"}, status=400)
        return web.json_response({"ok": True, "identity": m.identity, "sid": m.sid, "room": m.room})
