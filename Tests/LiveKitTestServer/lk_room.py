# SPDX-License-Identifier: Apache-2.0
"""The live side of rooms: connected participants, track subscriptions and data routing.

``RoomManager`` is the store's hook object (lk_store.Store.hooks): Twirp changes (remove, update,
mute, SendData, DeleteRoom, CreateRoom/CreateDispatch) reach connected clients through it. Live
members are ``lk_rtc.RTCParticipant`` (a /rtc client) and ``lk_bot.Bot`` (the scripted peer);
both keep their ``ParticipantInfo`` in the store, so the Twirp API lists them too. Participants
added with POST /_test/participants stay passive (listed, never connected).

Server behaviour mirrored here (livekit-protocol.md §3, §4, §9; server pkg/rtc/room.go,
participant.go handleReceivedDataMessage):
* ParticipantUpdate to the others on join/leave/metadata changes and to everyone (the source
  too) when tracks change; DISCONNECTED state in the update of a participant that left;
* auto-subscribe: every member with auto_subscribe and canSubscribe gets every published track;
  the publisher itself too when echo is on (a test-server feature: the real SFU never does it);
* data: sender sid/identity overwritten (except an agent's on-behalf text-stream header, marked
  ``generated``, and chat message), reliable ``sequence`` must grow (0 disables the check),
  transcriptions only from agents, metrics never forwarded, destination_identities honoured,
  never echoed to the sender;
* a room whose last participant left closes after its departure_timeout (jobs terminated).
"""
import asyncio
import json
import logging
import time
from dataclasses import dataclass, field

from google.protobuf import json_format
from livekit.protocol import models, rtc

log = logging.getLogger("lk.room")

SERVER_VERSION = "1.13.5"
PROTOCOL_VERSION = 17
AGENT_PROTOCOL = 1


def server_info() -> models.ServerInfo:
    return models.ServerInfo(edition=models.ServerInfo.Standard, version=SERVER_VERSION, protocol=PROTOCOL_VERSION,
                             agent_protocol=AGENT_PROTOCOL, node_id="ND_testserver", region="")


def to_dict(message) -> dict:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


@dataclass
class Config:
    api_key: str = "devkey"
    api_secret: str = "secret"
    establish_deadline: float = 15.0    # PC must be "fully established" this long after ICE connects
    join_deadline: float = 60.0         # participant must be ACTIVE this long after joining
    resume_window: float = 30.0         # a dropped participant is kept this long for a resume
    refresh_interval: float = 300.0     # SignalResponse.refresh_token period
    echo: bool = True                   # publishers get their own audio back
    trickle: bool = True                # False: candidates inside the SDP instead of trickled
    loopback: bool = True               # gather 127.0.0.1 host candidates
    departure_timeout: float | None = None   # override of Room.departure_timeout (seconds)


class Member:
    """A live room member. Subclasses: lk_rtc.RTCParticipant, lk_bot.Bot."""

    is_bot = False

    def __init__(self, manager: "RoomManager", room: str, info: models.ParticipantInfo):
        self.manager = manager
        self.room = room
        self.info = info
        self.closed = False

    @property
    def identity(self) -> str:
        return self.info.identity

    @property
    def sid(self) -> str:
        return self.info.sid

    @property
    def is_agent(self) -> bool:
        return self.info.kind == models.ParticipantInfo.AGENT

    @property
    def auto_subscribe(self) -> bool:
        return False

    def published_tracks(self) -> list:
        return []

    def send_signal(self, resp: rtc.SignalResponse) -> None:
        pass

    def deliver_data(self, kind: int, dp: models.DataPacket, sender) -> None:
        pass

    def subscribe(self, publisher: "Member", ptrack) -> None:
        pass

    def unsubscribe(self, track_sid: str) -> None:
        pass

    def disconnect(self, reason: int, action: int = rtc.LeaveRequest.DISCONNECT) -> None:
        """Server-initiated removal (LeaveRequest to the client, then gone)."""
        self.manager.detach(self, reason)

    def on_participant_updated(self) -> None:
        """The stored ParticipantInfo was changed by the API (UpdateParticipant)."""

    def on_track_muted(self, track: models.TrackInfo) -> None:
        pass

    def snapshot(self) -> dict:
        return {"identity": self.identity, "sid": self.sid, "state": models.ParticipantInfo.State.Name(self.info.state),
                "kind": models.ParticipantInfo.Kind.Name(self.info.kind), "bot": self.is_bot,
                "tracks": [to_dict(t) for t in self.info.tracks]}


@dataclass
class PublishedTrack:
    publisher: Member
    info: models.TrackInfo
    relay: object = None           # lk_media.AudioRelay once media flows
    cid: str = ""
    mid: str = ""
    subscribers: set = field(default_factory=set)


class RoomManager:
    def __init__(self, store, config: Config):
        self.store = store
        self.cfg = config
        self.live: dict[str, dict[str, Member]] = {}
        self.agents = None            # lk_agent.AgentService
        self._close_timers: dict[str, asyncio.TimerHandle] = {}
        self._had_live: set[str] = set()     # rooms that ever had a live member (only those auto-close)
        store.hooks = self

    # Membership

    def members(self, room: str) -> list[Member]:
        return list(self.live.get(room, {}).values())

    def member(self, room: str, identity: str) -> Member | None:
        return self.live.get(room, {}).get(identity)

    def find_by_sid(self, room: str, sid: str) -> Member | None:
        for m in self.members(room):
            if m.sid == sid:
                return m
        return None

    def attach(self, member: Member) -> None:
        """Registers a live member whose ParticipantInfo is already in the store."""
        self.live.setdefault(member.room, {})[member.identity] = member
        self._had_live.add(member.room)
        timer = self._close_timers.pop(member.room, None)
        if timer:
            timer.cancel()

    def detach(self, member: Member, reason: int = models.DisconnectReason.UNKNOWN_REASON,
               notify_others: bool = True) -> None:
        """Removes a member from the room (store too) and tells the others."""
        if member.closed:
            return
        member.closed = True
        room = member.room
        if self.live.get(room, {}).get(member.identity) is member:
            del self.live[room][member.identity]
        state = self.store.rooms.get(room)
        if state is not None and state.participants.get(member.identity) is member.info:
            del state.participants[member.identity]
        for ptrack in member.published_tracks():
            for sub in list(ptrack.subscribers):
                sub.unsubscribe(ptrack.info.sid)
            if ptrack.relay is not None:
                ptrack.relay.stop()
        member.info.state = models.ParticipantInfo.DISCONNECTED
        member.info.disconnect_reason = reason
        member.info.version += 1
        if notify_others and state is not None:
            self.broadcast_participants(room, [member.info], skip=member)
        if self.agents is not None:
            self.agents.on_participant_left(room, member)
        self._maybe_schedule_close(room)

    def _maybe_schedule_close(self, room: str) -> None:
        state = self.store.rooms.get(room)
        if state is None or state.participants or room in self._close_timers or room not in self._had_live:
            return
        timeout = self.cfg.departure_timeout
        if timeout is None:
            timeout = state.room.departure_timeout
        loop = asyncio.get_event_loop()
        self._close_timers[room] = loop.call_later(timeout, self._close_room, room)

    def _close_room(self, room: str) -> None:
        self._close_timers.pop(room, None)
        state = self.store.rooms.get(room)
        if state is None or state.participants:
            return
        log.info("room %s closed after its departure timeout", room)
        if self.agents is not None:
            self.agents.on_room_closed(room)
        self.store.rooms.pop(room, None)
        self._had_live.discard(room)

    # Signalling fan-out

    def visible_infos(self, room: str, exclude: str | None = None) -> list:
        state = self.store.rooms.get(room)
        if state is None:
            return []
        return [p for p in state.participants.values() if p.identity != exclude and not p.permission.hidden]

    def broadcast(self, room: str, resp: rtc.SignalResponse, skip: Member | None = None) -> None:
        for m in self.members(room):
            if m is not skip:
                m.send_signal(resp)

    def broadcast_participants(self, room: str, infos: list, skip: Member | None = None) -> None:
        infos = [i for i in infos if not i.permission.hidden]
        if not infos:
            return
        resp = rtc.SignalResponse(update=rtc.ParticipantUpdate(participants=infos))
        self.broadcast(room, resp, skip)

    def participant_changed(self, member: Member, include_self: bool = True) -> None:
        member.info.version += 1
        self.broadcast_participants(member.room, [member.info], skip=None if include_self else member)

    # Tracks

    def track_published(self, member: Member, ptrack: PublishedTrack) -> None:
        """A publisher's track has media: tell everyone and subscribe the auto-subscribers."""
        self.participant_changed(member, include_self=True)
        for m in self.members(member.room):
            if m is member and not self.cfg.echo:
                continue
            if m.auto_subscribe:
                m.subscribe(member, ptrack)
        if self.agents is not None:
            self.agents.on_track_published(member.room, member)

    def subscribe_existing(self, member: Member) -> None:
        """A new auto-subscriber gets every track already published in the room."""
        if not member.auto_subscribe:
            return
        for m in self.members(member.room):
            if m is member and not self.cfg.echo:
                continue
            for ptrack in m.published_tracks():
                if ptrack.relay is not None:
                    member.subscribe(m, ptrack)

    def find_track(self, room: str, track_sid: str):
        for m in self.members(room):
            for ptrack in m.published_tracks():
                if ptrack.info.sid == track_sid:
                    return m, ptrack
        return None, None

    # Data

    def route_data(self, room: str, sender: Member | None, kind: int, dp: models.DataPacket) -> int:
        """Delivers a normalised DataPacket; returns the number of recipients."""
        dests = set(dp.destination_identities)
        count = 0
        for m in self.members(room):
            if sender is not None and m is sender:
                continue
            if dests and m.identity not in dests:
                continue
            m.deliver_data(kind, dp, sender)
            count += 1
        return count

    def normalise_data(self, sender: Member, kind: int, dp: models.DataPacket) -> bool:
        """participant.go handleReceivedDataMessage: returns False when the packet is not forwarded."""
        dp.participant_sid = sender.sid
        dp.kind = kind
        hidden = sender.info.permission.hidden
        override = True
        forward = True
        which = dp.WhichOneof("value")
        if which == "user":
            u = dp.user
            u.participant_sid = "" if hidden else sender.sid
            u.participant_identity = "" if hidden else sender.identity
            if dp.destination_identities:
                del u.destination_identities[:]
                u.destination_identities.extend(dp.destination_identities)
            else:
                dp.destination_identities.extend(u.destination_identities)
        elif which == "transcription":
            forward = sender.is_agent
        elif which == "chat_message":
            if sender.is_agent and dp.participant_identity and dp.participant_identity != sender.identity:
                override = False
                dp.chat_message.generated = True
        elif which == "metrics":
            forward = False
        elif which == "stream_header":
            if sender.is_agent and dp.participant_identity and dp.participant_identity != sender.identity:
                if dp.stream_header.WhichOneof("content_header") == "text_header":
                    dp.stream_header.text_header.generated = True
                    override = False
        if override:
            dp.participant_identity = "" if hidden else sender.identity
        return forward

    # Store hooks (Twirp and admin changes)

    def on_room_created(self, room: str) -> None:
        if self.agents is not None:
            self.agents.on_room_created(room)

    def on_room_deleted(self, room: str) -> None:
        for m in self.members(room):
            m.disconnect(models.DisconnectReason.ROOM_DELETED)
        timer = self._close_timers.pop(room, None)
        if timer:
            timer.cancel()
        if self.agents is not None:
            self.agents.on_room_closed(room)
        self.live.pop(room, None)
        self._had_live.discard(room)

    def on_participant_added(self, room: str, info: models.ParticipantInfo) -> None:
        if self.member(room, info.identity) is None:   # a passive (admin-added) participant
            self.broadcast_participants(room, [info])

    def on_participant_removed(self, room: str, info: models.ParticipantInfo) -> None:
        m = self.member(room, info.identity)
        if m is not None and m.info is info:
            m.disconnect(models.DisconnectReason.PARTICIPANT_REMOVED)
        else:
            info.state = models.ParticipantInfo.DISCONNECTED
            self.broadcast_participants(room, [info])
            self._maybe_schedule_close(room)

    def on_participant_updated(self, room: str, info: models.ParticipantInfo) -> None:
        m = self.member(room, info.identity)
        if m is not None:
            m.on_participant_updated()
        self.broadcast_participants(room, [info])

    def on_track_muted(self, room: str, info: models.ParticipantInfo, track: models.TrackInfo) -> None:
        m = self.member(room, info.identity)
        if m is not None:
            m.on_track_muted(track)
        self.broadcast_participants(room, [info])

    def on_subscriptions_updated(self, room: str, info: models.ParticipantInfo, req) -> None:
        m = self.member(room, info.identity)
        if m is None:
            return
        sids = list(req.track_sids)
        for pt in req.participant_tracks:
            sids.extend(pt.track_sids)
        for sid in sids:
            publisher, ptrack = self.find_track(room, sid)
            if ptrack is None:
                continue
            if req.subscribe:
                m.subscribe(publisher, ptrack)
            else:
                m.unsubscribe(sid)

    def on_room_updated(self, room: str) -> None:
        self.broadcast(room, rtc.SignalResponse(room_update=rtc.RoomUpdate(room=self.store.snapshot(room))))

    def on_data_sent(self, room: str, req) -> None:
        """RoomService.SendData (server pkg/service/roomservice.go): a UserPacket from nobody."""
        dp = models.DataPacket(kind=req.kind, destination_identities=list(req.destination_identities))
        dp.user.payload = req.data
        dp.user.destination_identities.extend(req.destination_identities)
        if req.HasField("topic"):
            dp.user.topic = req.topic
        if req.nonce:
            dp.user.nonce = req.nonce
        self.route_data(room, None, req.kind, dp)

    def on_dispatch_created(self, room: str, dispatch) -> None:
        if self.agents is not None:
            self.agents.on_dispatch_created(room, dispatch)

    def on_dispatch_deleted(self, room: str, dispatch) -> None:
        if self.agents is not None:
            self.agents.on_dispatch_deleted(room, dispatch)

    # Admin view

    def snapshot(self) -> dict:
        rooms = []
        for name, state in self.store.rooms.items():
            participants = []
            for info in state.participants.values():
                m = self.member(name, info.identity)
                if m is not None and m.info is info:
                    participants.append(m.snapshot())
                else:
                    participants.append({"identity": info.identity, "sid": info.sid, "passive": True,
                                         "state": models.ParticipantInfo.State.Name(info.state),
                                         "kind": models.ParticipantInfo.Kind.Name(info.kind),
                                         "tracks": [to_dict(t) for t in info.tracks]})
            rooms.append({"name": name, "sid": state.room.sid, "metadata": state.room.metadata,
                          "participants": participants,
                          "dispatches": [to_dict(d) for d in state.dispatches.values()],
                          "closing": name in self._close_timers})
        return {"rooms": rooms, "time": time.time()}


def json_dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))
