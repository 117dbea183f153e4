# SPDX-License-Identifier: Apache-2.0
"""The /agent worker WebSocket and agent dispatch (docs/livekit-protocol.md §8).

Server sources mirrored: pkg/service/agentservice.go (upgrade: ``video.agent`` required, else
401 "no permissions to access the room"; a non-upgrade GET is 404), pkg/agent/worker.go
(register within 10 s, ping/pong, UpdateWorkerStatus, AssignJob: availability → ≤ 10 s →
1-hour agent token → JobAssignment, TerminateJob), protocol agent/token.go (the job token) and
pkg/rtc/room.go (dispatch: room agents launch when the room is created; a room created without
dispatches gets one default dispatch with an empty agent name; JT_PUBLISHER / JT_PARTICIPANT jobs
launch when a participant publishes / joins; an agent participant leaving a running job fails it
with "agent worker left the room" and sends JobTermination; a deleted dispatch or a closed room
terminates its jobs as JS_SUCCESS).

Worker choice: registered workers with the job's agent name, namespace and job type, status
WS_AVAILABLE and load < 1, at random weighted by (1 - load); a worker that declines or does not
answer within the availability timeout is skipped and the next one is tried. With no worker, the
job is not created (recorded under "launch_failures" in /_test/jobs), as in the server.

The job token uses AvailabilityResponse.participant_identity as given, like BuildAgentToken: an
empty identity gives a token without ``sub``, which /rtc then refuses (400 "identity cannot be
empty"). The Python agents SDK always answers "agent-" + job id; do the same.
"""
import asyncio
import logging
import random
import time
from collections import deque

from aiohttp import WSMsgType, web
from google.protobuf import json_format
from livekit.protocol import agent, agent_dispatch, models

import lk_auth
from lk_room import server_info, to_dict
from lk_store import new_id

log = logging.getLogger("lk.agent")

AGENT_NAME_ATTRIBUTE = "lk.agent_name"
JOB_TOKEN_TTL = 3600


def _dependent(member) -> bool:
    """Participants that never trigger JT_PUBLISHER/JT_PARTICIPANT jobs (agents, egress)."""
    return member.info.kind in (models.ParticipantInfo.AGENT, models.ParticipantInfo.EGRESS)


class Worker:
    def __init__(self, service: "AgentService", ws: web.WebSocketResponse, claims: dict, protocol: int):
        self.service = service
        self.ws = ws
        self.claims = claims
        self.api_key = claims.get("iss", "")
        self.protocol = protocol
        self.id = new_id("AW_")
        self.registered = False
        self.connected = True
        self.agent_name = ""
        self.namespace = ""
        self.job_type = agent.JT_ROOM
        self.version = ""
        self.deployment = ""
        self.permissions = models.ParticipantPermission(can_subscribe=True, can_publish=True,
                                                        can_publish_data=True, can_update_metadata=True)
        self.status = agent.WS_AVAILABLE
        self.load = 0.0
        self.job_count = 0
        self.updates: deque = deque(maxlen=50)
        self.received: deque = deque(maxlen=100)
        self.availability: dict[str, asyncio.Future] = {}
        self.running: dict[str, agent.Job] = {}
        self.connected_at = time.time()
        self.json = False
        self.queue: asyncio.Queue = asyncio.Queue()
        self.writer = asyncio.ensure_future(self._write())

    def send(self, msg: agent.ServerMessage) -> None:
        if self.connected:
            self.queue.put_nowait(msg)

    async def _write(self):
        while True:
            msg = await self.queue.get()
            if msg is None:
                return
            try:
                if self.json:
                    await self.ws.send_str(json_format.MessageToJson(msg, indent=None))
                else:
                    await self.ws.send_bytes(msg.SerializeToString())
            except Exception:
                return

    def handle(self, msg: agent.WorkerMessage) -> None:
        which = msg.WhichOneof("message")
        self.received.append({"time": time.time(), "type": which})
        if which == "register":
            self._register(msg.register)
        elif which == "ping":
            self.send(agent.ServerMessage(pong=agent.WorkerPong(last_timestamp=msg.ping.timestamp,
                                                                timestamp=int(time.time() * 1000))))
        elif not self.registered:
            log.info("worker %s: %s before register (ignored)", self.id, which)
        elif which == "availability":
            fut = self.availability.pop(msg.availability.job_id, None)
            if fut is not None and not fut.done():
                fut.set_result(msg.availability)
        elif which == "update_worker":
            u = msg.update_worker
            if u.HasField("status"):
                self.status = u.status
            self.load = u.load
            self.job_count = u.job_count
            self.updates.append({"time": time.time(), "status": agent.WorkerStatus.Name(self.status),
                                 "load": round(u.load, 4), "job_count": u.job_count})
        elif which == "update_job":
            self.service.update_job(self, msg.update_job)
        elif which == "simulate_job":
            self.service.simulate_job(self, msg.simulate_job)
        elif which == "migrate_job":
            pass   # OSS does nothing with it

    def _register(self, req: agent.RegisterWorkerRequest) -> None:
        if req.type not in agent.JobType.values():
            log.warning("worker %s: unknown job type %s", self.id, req.type)
            return
        self.agent_name = req.agent_name
        self.namespace = req.namespace
        self.job_type = req.type
        self.version = req.version
        self.deployment = getattr(req, "deployment", "")
        if req.HasField("allowed_permissions"):
            self.permissions = models.ParticipantPermission()
            self.permissions.CopyFrom(req.allowed_permissions)
        self.registered = True
        self.send(agent.ServerMessage(register=agent.RegisterWorkerResponse(worker_id=self.id,
                                                                            server_info=server_info())))

    def close(self) -> None:
        self.connected = False
        self.queue.put_nowait(None)
        for fut in self.availability.values():
            if not fut.done():
                fut.cancel()

    def job_token(self, job: agent.Job, res: agent.AvailabilityResponse) -> str:
        """protocol agent/token.go BuildAgentToken (with the worker's own API key)."""
        secret = self.service.verifier.keys.get(self.api_key, "")
        now = int(time.time())
        attributes = dict(res.participant_attributes)
        attributes[AGENT_NAME_ATTRIBUTE] = self.agent_name
        p = self.permissions
        claims = {"sub": res.participant_identity, "nbf": now, "iat": now, "exp": now + JOB_TOKEN_TTL,
                  "kind": "agent", "attributes": attributes,
                  "video": {"roomJoin": True, "agent": True, "room": job.room.name,
                            "canSubscribe": p.can_subscribe, "canPublish": p.can_publish,
                            "canPublishData": p.can_publish_data, "hidden": p.hidden,
                            "canUpdateOwnMetadata": p.can_update_metadata,
                            "canSubscribeMetrics": p.can_subscribe_metrics}}
        if res.participant_name:
            claims["name"] = res.participant_name
        if res.participant_metadata:
            claims["metadata"] = res.participant_metadata
        if not claims["video"]["hidden"]:
            del claims["video"]["hidden"]
        return lk_auth.mint(self.api_key, secret, claims)

    async def assign(self, job: agent.Job, timeout: float) -> str:
        """worker.go AssignJob. Returns "assigned", "terminated", "declined" or "timeout"."""
        fut = asyncio.get_event_loop().create_future()
        self.availability[job.id] = fut
        now = time.time_ns()
        job.state.worker_id = self.id
        job.state.updated_at = now
        job.state.started_at = now
        job.state.status = agent.JS_RUNNING
        self.send(agent.ServerMessage(availability=agent.AvailabilityRequest(job=job)))
        try:
            res = await asyncio.wait_for(fut, timeout)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            self.availability.pop(job.id, None)
            return "timeout"
        if res.terminate:
            job.state.ended_at = time.time_ns()
            job.state.status = agent.JS_SUCCESS
            return "terminated"
        if not res.available:
            return "declined"
        job.state.participant_identity = res.participant_identity
        token = self.job_token(job, res)
        self.send(agent.ServerMessage(assignment=agent.JobAssignment(job=job, token=token)))
        self.running[job.id] = job
        return "assigned"

    def snapshot(self) -> dict:
        return {"id": self.id, "agent_name": self.agent_name, "namespace": self.namespace,
                "type": agent.JobType.Name(self.job_type), "version": self.version, "protocol": self.protocol,
                "registered": self.registered, "connected": self.connected,
                "status": agent.WorkerStatus.Name(self.status), "load": round(self.load, 4),
                "job_count": self.job_count, "updates": list(self.updates),
                "permissions": to_dict(self.permissions), "running_jobs": sorted(self.running),
                "received": list(self.received), "api_key": self.api_key}


class AgentService:
    def __init__(self, store, verifier, manager, authenticate, register_deadline: float = 10.0,
                 availability_timeout: float = 10.0):
        self.store = store
        self.verifier = verifier
        self.manager = manager
        self.authenticate = authenticate
        self.register_deadline = register_deadline
        self.availability_timeout = availability_timeout
        self.workers: dict[str, Worker] = {}
        self.jobs: dict[str, dict] = {}                 # job id -> {"job", "worker", "room", "dispatch"}
        self.default_dispatches: dict[str, agent_dispatch.AgentDispatch] = {}
        self.launch_failures: deque = deque(maxlen=100)
        self.publishers: set = set()                    # (room, sid) that already got JT_PUBLISHER jobs
        manager.agents = self

    # The WebSocket

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:   # the auth middleware runs first
            claims = self.authenticate(request, self.verifier)
        except lk_auth.AuthFailure as e:
            return web.Response(status=401, text=str(e))
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return web.Response(status=404)
        if not claims or not lk_auth.video(claims).get("agent"):
            return web.Response(status=401, text="no permissions to access the room")
        try:
            protocol = int(request.query.get("protocol", "1"))
        except ValueError:
            protocol = 1
        ws = web.WebSocketResponse(max_msg_size=2 * 1024 * 1024, heartbeat=10)
        await ws.prepare(request)
        worker = Worker(self, ws, claims, protocol)
        self.workers[worker.id] = worker
        deadline = asyncio.get_event_loop().call_later(self.register_deadline, self._register_timeout, worker)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.BINARY:
                    wm = agent.WorkerMessage()
                    try:
                        wm.ParseFromString(msg.data)
                    except Exception:
                        continue
                elif msg.type == WSMsgType.TEXT:
                    worker.json = True
                    wm = agent.WorkerMessage()
                    try:
                        json_format.Parse(msg.data, wm, ignore_unknown_fields=True)
                    except Exception:
                        continue
                else:
                    break
                worker.handle(wm)
        finally:
            deadline.cancel()
            worker.close()
        return ws

    def _register_timeout(self, worker: Worker) -> None:
        if not worker.registered and worker.connected:
            log.info("worker %s did not register in time", worker.id)
            worker.close()
            asyncio.ensure_future(worker.ws.close())

    # Dispatch

    def _select(self, agent_name: str, namespace: str, job_type: int, attempted: set) -> Worker | None:
        candidates = [w for w in self.workers.values()
                      if w.connected and w.registered and w not in attempted and w.agent_name == agent_name
                      and w.namespace == namespace and w.job_type == job_type
                      and w.status == agent.WS_AVAILABLE and w.load < 1]
        if not candidates:
            return None
        weights = [max(1e-6, 1 - w.load) for w in candidates]
        return random.choices(candidates, weights=weights)[0]

    def dispatches(self, room: str) -> list:
        state = self.store.rooms.get(room)
        explicit = list(state.dispatches.values()) if state is not None else []
        default = self.default_dispatches.get(room)
        return explicit + ([default] if default is not None else [])

    def launch(self, room: str, dispatch, job_type: int, participant=None) -> None:
        asyncio.ensure_future(self._launch(room, dispatch, job_type, participant))

    async def _launch(self, room: str, dispatch, job_type: int, participant) -> None:
        state = self.store.rooms.get(room)
        if state is None:
            return
        job = agent.Job(id=new_id("AJ_"), dispatch_id=dispatch.id, type=job_type, room=self.store.snapshot(room),
                        metadata=dispatch.metadata, agent_name=dispatch.agent_name)
        job.attributes.update(dict(dispatch.attributes))
        if participant is not None:
            job.participant.CopyFrom(participant)
        job.state.status = agent.JS_PENDING
        attempted: set = set()
        while True:
            worker = self._select(dispatch.agent_name, "", job_type, attempted)
            if worker is None:
                self.launch_failures.append({"time": time.time(), "room": room, "dispatch_id": dispatch.id,
                                             "agent_name": dispatch.agent_name, "type": agent.JobType.Name(job_type),
                                             "error": "no workers available",
                                             "attempted": [w.id for w in attempted]})
                return
            attempted.add(worker)
            result = await worker.assign(job, self.availability_timeout)
            if result in ("assigned", "terminated"):
                self.jobs[job.id] = {"job": job, "worker": worker, "room": room, "dispatch": dispatch}
                if room in self.store.rooms and dispatch.id in self.store.rooms[room].dispatches:
                    dispatch.state.jobs.append(job)
                return

    def _sync(self, job: agent.Job) -> None:
        """Keeps the copy inside the dispatch's state (ListDispatch) in step with the job."""
        rec = self.jobs.get(job.id)
        if rec is None:
            return
        for j in rec["dispatch"].state.jobs:
            if j.id == job.id:
                j.CopyFrom(job)

    def update_job(self, worker: Worker, update: agent.UpdateJobStatus) -> None:
        job = worker.running.get(update.job_id)
        if job is None:
            log.info("job update for unknown job %s", update.job_id)
            return
        now = time.time_ns()
        job.state.updated_at = now
        if job.state.status == agent.JS_PENDING and update.status != agent.JS_PENDING:
            job.state.started_at = now
        job.state.status = update.status
        job.state.error = update.error
        if update.status in (agent.JS_SUCCESS, agent.JS_FAILED):
            job.state.ended_at = now
            worker.running.pop(job.id, None)
        self._sync(job)

    def terminate(self, job_id: str, failed: bool = False) -> dict | None:
        """worker.go TerminateJob: JobTermination to the worker, then SUCCESS (or FAILED when the
        agent left the room). Returns the new state, or None when the job is not running."""
        rec = self.jobs.get(job_id)
        if rec is None or job_id not in rec["worker"].running:
            return None
        worker = rec["worker"]
        worker.send(agent.ServerMessage(termination=agent.JobTermination(job_id=job_id)))
        self.update_job(worker, agent.UpdateJobStatus(
            job_id=job_id, status=agent.JS_FAILED if failed else agent.JS_SUCCESS,
            error="agent worker left the room" if failed else ""))
        return to_dict(rec["job"].state)

    def simulate_job(self, worker: Worker, req) -> None:
        job_type = agent.JT_PUBLISHER if req.HasField("participant") else agent.JT_ROOM
        job = agent.Job(id=new_id("AJ_"), type=job_type, room=req.room, agent_name=worker.agent_name)
        if req.HasField("participant"):
            job.participant.CopyFrom(req.participant)
        dispatch = agent_dispatch.AgentDispatch(id="", agent_name=worker.agent_name, room=req.room.name)

        async def run():
            if await worker.assign(job, self.availability_timeout) in ("assigned", "terminated"):
                self.jobs[job.id] = {"job": job, "worker": worker, "room": req.room.name, "dispatch": dispatch}
        asyncio.ensure_future(run())

    # Room events (from lk_room.RoomManager and lk_rtc)

    def on_room_created(self, room: str) -> None:
        state = self.store.rooms.get(room)
        if state is None:
            return
        if not state.dispatches:
            d = agent_dispatch.AgentDispatch(id=new_id("AD_"), agent_name="", room=room)
            d.state.created_at = time.time_ns()
            self.default_dispatches[room] = d
        for d in self.dispatches(room):
            self.launch(room, d, agent.JT_ROOM)

    def on_dispatch_created(self, room: str, dispatch) -> None:
        self.launch(room, dispatch, agent.JT_ROOM)
        for m in self.manager.members(room):
            if _dependent(m):
                continue
            if m.info.is_publisher:
                self.launch(room, dispatch, agent.JT_PUBLISHER, m.info)
            self.launch(room, dispatch, agent.JT_PARTICIPANT, m.info)

    def on_dispatch_deleted(self, room: str, dispatch) -> None:
        for job_id, rec in list(self.jobs.items()):
            if rec["dispatch"].id == dispatch.id:
                self.terminate(job_id)

    def on_participant_joined(self, room: str, member) -> None:
        if _dependent(member):
            return
        for d in self.dispatches(room):
            self.launch(room, d, agent.JT_PARTICIPANT, member.info)

    def on_participant_active(self, room: str, member) -> None:
        pass

    def on_track_published(self, room: str, member) -> None:
        key = (room, member.sid)
        if _dependent(member) or key in self.publishers:
            return
        self.publishers.add(key)
        for d in self.dispatches(room):
            self.launch(room, d, agent.JT_PUBLISHER, member.info)

    def on_participant_left(self, room: str, member) -> None:
        for job_id, rec in list(self.jobs.items()):
            job = rec["job"]
            if rec["room"] == room and job.state.participant_identity == member.identity \
                    and job_id in rec["worker"].running:
                self.terminate(job_id, failed=True)

    def on_room_closed(self, room: str) -> None:
        for job_id, rec in list(self.jobs.items()):
            if rec["room"] == room:
                self.terminate(job_id)
        self.default_dispatches.pop(room, None)
        self.publishers = {k for k in self.publishers if k[0] != room}

    # Admin

    def jobs_snapshot(self) -> dict:
        jobs = []
        for job_id, rec in self.jobs.items():
            d = to_dict(rec["job"])
            d["worker_id"] = rec["worker"].id
            d["default_dispatch"] = rec["dispatch"] is self.default_dispatches.get(rec["room"])
            d["status"] = agent.JobStatus.Name(rec["job"].state.status)
            jobs.append(d)
        return {"jobs": jobs, "launch_failures": list(self.launch_failures)}

    def workers_snapshot(self) -> dict:
        return {"workers": [w.snapshot() for w in self.workers.values()]}

    async def admin_terminate(self, request: web.Request) -> web.Response:
        spec = await request.json()
        state = self.terminate(spec.get("job_id", ""))
        if state is None:
            return web.json_response({"error": "no running job with that id"}, status=404)
        return web.json_response({"state": state})
