# SPDX-License-Identifier: Apache-2.0
"""The Twirp server API (RoomService, AgentDispatchService) over the shared store and auth.

Transport per docs/livekit-protocol.md §2 and twirp v8.1.3: POST /twirp/livekit.<Service>/<Method>,
JSON (proto field names, every field emitted, int64 as strings) or protobuf bodies; errors are
``{"code","msg"}`` JSON with the code's HTTP status. Bad tokens never get here: the auth step in
server.py answers them with a plain-text 401 first, like the real server's middleware.
"""
import json

from google.protobuf import json_format
from livekit.protocol import agent_dispatch, models, room as room_pb

import lk_auth
from lk_store import NotFound

STATUS = {
    "canceled": 408, "unknown": 500, "invalid_argument": 400, "malformed": 400, "deadline_exceeded": 408,
    "not_found": 404, "bad_route": 404, "already_exists": 409, "permission_denied": 403,
    "unauthenticated": 401, "resource_exhausted": 429, "failed_precondition": 412, "aborted": 409,
    "out_of_range": 400, "unimplemented": 501, "internal": 500, "unavailable": 503, "data_loss": 500,
}


class TwirpError(Exception):
    def __init__(self, code: str, msg: str):
        super().__init__(msg)
        self.code, self.msg = code, msg

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 500)

    def body(self) -> bytes:
        return json.dumps({"code": self.code, "msg": self.msg}).encode()


def to_json(message) -> bytes:
    return json_format.MessageToJson(message, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True, indent=None).encode()


def _require(value, what):
    if not value:
        raise TwirpError("invalid_argument", f"{what} is required")


class TwirpAPI:
    """Method table: (service, method) -> (request class, handler(request, claims) -> response)."""

    def __init__(self, store):
        self.store = store
        s = "livekit.RoomService"
        d = "livekit.AgentDispatchService"
        self.routes = {
            (s, "CreateRoom"): (room_pb.CreateRoomRequest, self.create_room),
            (s, "ListRooms"): (room_pb.ListRoomsRequest, self.list_rooms),
            (s, "DeleteRoom"): (room_pb.DeleteRoomRequest, self.delete_room),
            (s, "ListParticipants"): (room_pb.ListParticipantsRequest, self.list_participants),
            (s, "GetParticipant"): (room_pb.RoomParticipantIdentity, self.get_participant),
            (s, "RemoveParticipant"): (room_pb.RoomParticipantIdentity, self.remove_participant),
            (s, "MutePublishedTrack"): (room_pb.MuteRoomTrackRequest, self.mute_published_track),
            (s, "UpdateParticipant"): (room_pb.UpdateParticipantRequest, self.update_participant),
            (s, "UpdateSubscriptions"): (room_pb.UpdateSubscriptionsRequest, self.update_subscriptions),
            (s, "SendData"): (room_pb.SendDataRequest, self.send_data),
            (s, "UpdateRoomMetadata"): (room_pb.UpdateRoomMetadataRequest, self.update_room_metadata),
            (d, "CreateDispatch"): (agent_dispatch.CreateAgentDispatchRequest, self.create_dispatch),
            (d, "ListDispatch"): (agent_dispatch.ListAgentDispatchRequest, self.list_dispatch),
            (d, "DeleteDispatch"): (agent_dispatch.DeleteAgentDispatchRequest, self.delete_dispatch),
        }

    def call(self, service, method, http_method, content_type, body: bytes, claims):
        """Returns (status, content type, body bytes). Never raises."""
        try:
            if http_method != "POST":
                raise TwirpError("bad_route", f"unsupported method {http_method!r} (only POST is allowed)")
            route = self.routes.get((service, method))
            if route is None:
                raise TwirpError("bad_route", f"no handler for path \"/twirp/{service}/{method}\"")
            ctype = (content_type or "").split(";")[0].strip().lower()
            if ctype not in ("application/json", "application/protobuf"):
                raise TwirpError("bad_route", f"unexpected Content-Type: {content_type!r}")
            request_class, handler = route
            request = request_class()
            try:
                if ctype == "application/json":
                    json_format.Parse(body or b"{}", request, ignore_unknown_fields=True)
                else:
                    request.ParseFromString(body)
            except Exception:
                raise TwirpError("malformed", "the json request could not be decoded"
                                 if ctype == "application/json" else "failed to parse request proto")
            response = handler(request, claims)
            payload = to_json(response) if ctype == "application/json" else response.SerializeToString()
            return 200, ctype, payload
        except lk_auth.GrantDenied as e:
            err = TwirpError("unauthenticated", str(e))
        except NotFound as e:
            err = TwirpError("not_found", str(e))
        except TwirpError as e:
            err = e
        except Exception as e:  # a bug in the test server must still answer like Twirp does
            err = TwirpError("internal", f"test server error: {type(e).__name__}: {e}")
        return err.status, "application/json", err.body()

    # RoomService

    def create_room(self, req, claims):
        lk_auth.ensure_create(claims)
        _require(req.name, "room name")
        room, _ = self.store.create_room(req.name, req.empty_timeout, req.departure_timeout, req.max_participants,
                                         req.metadata, list(req.agents))
        return room

    def list_rooms(self, req, claims):
        lk_auth.ensure_list(claims)
        return room_pb.ListRoomsResponse(rooms=self.store.list_rooms(list(req.names)))

    def delete_room(self, req, claims):
        lk_auth.ensure_create(claims)
        _require(req.room, "room")
        self.store.delete_room(req.room)
        return room_pb.DeleteRoomResponse()

    def list_participants(self, req, claims):
        lk_auth.ensure_admin(claims, req.room)
        state = self.store.state(req.room)
        return room_pb.ListParticipantsResponse(participants=list(state.participants.values()))

    def get_participant(self, req, claims):
        lk_auth.ensure_admin(claims, req.room)
        return self.store.participant(req.room, req.identity)

    def remove_participant(self, req, claims):
        lk_auth.ensure_admin(claims, req.room)
        self.store.remove_participant(req.room, req.identity)
        return room_pb.RemoveParticipantResponse()

    def mute_published_track(self, req, claims):
        lk_auth.ensure_admin(claims, req.room)
        p = self.store.participant(req.room, req.identity)
        for t in p.tracks:
            if t.sid == req.track_sid:
                t.muted = req.muted
                p.version += 1
                self.store._hook("track_muted", req.room, p, t)
                return room_pb.MuteRoomTrackResponse(track=t)
        raise NotFound("track is not found")

    def update_participant(self, req, claims):
        lk_auth.ensure_admin(claims, req.room)
        p = self.store.participant(req.room, req.identity)
        if req.metadata:
            p.metadata = req.metadata
        if req.name:
            p.name = req.name
        for k, v in req.attributes.items():   # an empty value deletes the key
            if v:
                p.attributes[k] = v
            elif k in p.attributes:
                del p.attributes[k]
        if req.HasField("permission"):
            p.permission.CopyFrom(req.permission)
        p.version += 1
        self.store._hook("participant_updated", req.room, p)
        return p

    def update_subscriptions(self, req, claims):
        lk_auth.ensure_admin(claims, req.room)
        p = self.store.participant(req.room, req.identity)
        self.store._hook("subscriptions_updated", req.room, p, req)
        return room_pb.UpdateSubscriptionsResponse()

    def send_data(self, req, claims):
        lk_auth.ensure_admin(claims, req.room)
        if req.nonce and len(req.nonce) != 16:
            raise TwirpError("invalid_argument", "nonce should be 16-bytes or not present")
        self.store.state(req.room).data.append(req)
        self.store._hook("data_sent", req.room, req)
        return room_pb.SendDataResponse()

    def update_room_metadata(self, req, claims):
        lk_auth.ensure_admin(claims, req.room)
        self.store.state(req.room).room.metadata = req.metadata
        self.store._hook("room_updated", req.room)
        return self.store.snapshot(req.room)

    # AgentDispatchService

    def create_dispatch(self, req, claims):
        lk_auth.ensure_admin(claims, req.room)
        _require(req.room, "room")
        if req.room not in self.store.rooms:   # auto-create is on by default
            self.store.create_room(req.room)
        return self.store.add_dispatch(req.room, req.agent_name, req.metadata, dict(req.attributes))

    def list_dispatch(self, req, claims):
        lk_auth.ensure_admin(claims, req.room)
        _require(req.room, "room")
        items = self.store.state(req.room).dispatches.values()
        if req.dispatch_id:
            items = [d for d in items if d.id == req.dispatch_id]
        return agent_dispatch.ListAgentDispatchResponse(agent_dispatches=list(items))

    def delete_dispatch(self, req, claims):
        lk_auth.ensure_admin(claims, req.room)
        dispatches = self.store.state(req.room).dispatches
        d = dispatches.pop(req.dispatch_id, None)
        if d is None:
            raise NotFound("dispatch not found")
        self.store._hook("dispatch_deleted", req.room, d)
        return d
