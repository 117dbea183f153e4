# SPDX-License-Identifier: Apache-2.0
"""In-memory rooms, participants, sent data and agent dispatches.

One store per server process, shared by every endpoint (Twirp, the /rtc signalling socket, the
/agent worker socket and the admin endpoints). Values are the ``livekit.protocol`` message
classes, so every endpoint serialises them the same way. The live side (connected participants,
agent jobs: lk_room.py, lk_agent.py) hangs off ``Store.hooks``: the store calls
``hooks.on_<event>(...)`` after each change so the live side can tell connected clients.
Field meanings: protocol livekit_models.proto (Room, ParticipantInfo), livekit_room.proto,
livekit_agent_dispatch.proto; defaults from server pkg/config/config.go.
"""
import secrets
import time
from dataclasses import dataclass, field

from livekit.protocol import agent_dispatch, models

DEFAULT_EMPTY_TIMEOUT = 300
DEFAULT_DEPARTURE_TIMEOUT = 20


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(6)


class NotFound(Exception):
    pass


@dataclass
class RoomState:
    room: models.Room
    participants: dict = field(default_factory=dict)   # identity -> models.ParticipantInfo
    data: list = field(default_factory=list)           # SendDataRequest messages, oldest first
    dispatches: dict = field(default_factory=dict)     # id -> agent_dispatch.AgentDispatch


class Store:
    def __init__(self):
        self.rooms: dict[str, RoomState] = {}
        self.hooks = None   # lk_room.RoomManager once the live side is set up

    def _hook(self, name, *args):
        fn = getattr(self.hooks, "on_" + name, None) if self.hooks is not None else None
        if fn is not None:
            fn(*args)

    # Rooms

    def create_room(self, name, empty_timeout=0, departure_timeout=0, max_participants=0, metadata="",
                    agents=()) -> tuple[models.Room, bool]:
        """Returns (room, created). An existing room is returned unchanged, as the server does."""
        if name in self.rooms:
            return self.snapshot(name), False
        now = time.time()
        room = models.Room(sid=new_id("RM_"), name=name,
                           empty_timeout=empty_timeout or DEFAULT_EMPTY_TIMEOUT,
                           departure_timeout=departure_timeout or DEFAULT_DEPARTURE_TIMEOUT,
                           max_participants=max_participants, metadata=metadata,
                           creation_time=int(now), creation_time_ms=int(now * 1000))
        state = RoomState(room=room)
        self.rooms[name] = state
        for a in agents:   # CreateRoomRequest.agents become dispatches of the new room
            self.add_dispatch(name, a.agent_name, a.metadata, dict(a.attributes), launch=False)
        self._hook("room_created", name)
        return self.snapshot(name), True

    def state(self, name) -> RoomState:
        s = self.rooms.get(name)
        if s is None:
            raise NotFound(f"requested room does not exist")
        return s

    def snapshot(self, name) -> models.Room:
        s = self.state(name)
        room = models.Room()
        room.CopyFrom(s.room)
        room.num_participants = len(s.participants)
        room.num_publishers = sum(1 for p in s.participants.values() if p.tracks)
        return room

    def list_rooms(self, names=()) -> list:
        wanted = set(names)
        return [self.snapshot(n) for n in self.rooms if not wanted or n in wanted]

    def delete_room(self, name) -> None:
        self.state(name)
        self._hook("room_deleted", name)
        self.rooms.pop(name, None)

    # Participants

    def participant(self, room, identity) -> models.ParticipantInfo:
        p = self.state(room).participants.get(identity)
        if p is None:
            raise NotFound("participant does not exist")
        return p

    def add_participant(self, room, info: models.ParticipantInfo, notify=True) -> models.ParticipantInfo:
        """Test hook and /rtc joins: auto-creates the room like a join does."""
        if room not in self.rooms:
            self.create_room(room)
        p = models.ParticipantInfo()
        p.CopyFrom(info)
        if not p.sid:
            p.sid = new_id("PA_")
        if not p.state:
            p.state = models.ParticipantInfo.ACTIVE
        if not p.joined_at:
            now = time.time()
            p.joined_at, p.joined_at_ms = int(now), int(now * 1000)
        for t in p.tracks:
            if not t.sid:
                t.sid = new_id("TR_")
        self.state(room).participants[p.identity] = p
        if notify:
            self._hook("participant_added", room, p)
        return p

    def remove_participant(self, room, identity, notify=True) -> None:
        p = self.participant(room, identity)
        del self.state(room).participants[identity]
        if notify:
            self._hook("participant_removed", room, p)

    # Agent dispatch

    def add_dispatch(self, room, agent_name, metadata="", attributes=None, launch=True) -> agent_dispatch.AgentDispatch:
        d = agent_dispatch.AgentDispatch(id=new_id("AD_"), agent_name=agent_name, room=room, metadata=metadata,
                                         attributes=attributes or {})
        d.state.created_at = time.time_ns()
        self.state(room).dispatches[d.id] = d
        if launch:
            self._hook("dispatch_created", room, d)
        return d
