# SPDX-License-Identifier: Apache-2.0
"""Admin endpoints for the live side (no auth; JSON in, JSON out). Listed in server.py."""
import base64
import time

from aiohttp import web
from livekit.protocol import models

from lk_bot import Bot
from lk_store import new_id

BOT_IDENTITY = "test-bot"


def _kind(value) -> int:
    if isinstance(value, int):
        return value
    return models.DataPacket.Kind.Value(str(value or "RELIABLE").upper())


def _bot(manager, spec) -> Bot:
    room = spec.get("room", "")
    identity = spec.get("identity") or BOT_IDENTITY
    m = manager.member(room, identity)
    if not isinstance(m, Bot):
        raise web.HTTPNotFound(text=f"no bot {identity!r} in room {room!r}")
    return m


def _payload(spec) -> bytes:
    if "payload_b64" in spec:
        return base64.b64decode(spec["payload_b64"])
    return str(spec.get("payload", "")).encode()


def setup(app: web.Application, store, manager, rtc_service, agent_service) -> None:
    async def rooms(_: web.Request) -> web.Response:
        return web.json_response(manager.snapshot())

    async def bot_add(request: web.Request) -> web.Response:
        spec = await request.json()
        room = spec.get("room", "")
        if not room:
            return web.json_response({"error": "room is required"}, status=400)
        identity = spec.get("identity") or BOT_IDENTITY
        if room not in store.rooms:
            store.create_room(room)
        if manager.member(room, identity) is not None or identity in store.rooms[room].participants:
            return web.json_response({"error": f"{identity!r} is already in room {room!r}"}, status=409)
        now = time.time()
        info = models.ParticipantInfo(
            sid=new_id("PA_"), identity=identity, name=spec.get("name", "Test Bot"), metadata=spec.get("metadata", ""),
            state=models.ParticipantInfo.ACTIVE, joined_at=int(now), joined_at_ms=int(now * 1000), version=1,
            kind=models.ParticipantInfo.Kind.Value(str(spec.get("kind", "STANDARD")).upper()),
            permission=models.ParticipantPermission(can_subscribe=True, can_publish=True, can_publish_data=True,
                                                    can_update_metadata=True))
        info.attributes.update({str(k): str(v) for k, v in (spec.get("attributes") or {}).items()})
        stored = store.add_participant(room, info, notify=False)
        bot = Bot(manager, room, stored)
        manager.attach(bot)
        manager.broadcast_participants(room, [stored], skip=bot)
        if manager.agents is not None:
            manager.agents.on_participant_joined(room, bot)
        return web.json_response({"identity": identity, "sid": stored.sid, "room": room})

    async def bot_remove(request: web.Request) -> web.Response:
        spec = await request.json()
        bot = _bot(manager, spec)
        manager.detach(bot, models.DisconnectReason.CLIENT_INITIATED)
        return web.json_response({"ok": True})

    async def bot_send_data(request: web.Request) -> web.Response:
        spec = await request.json()
        bot = _bot(manager, spec)
        topic = spec.get("topic")
        n = bot.send_user(list(spec.get("to") or []), _payload(spec), topic, _kind(spec.get("kind")))
        return web.json_response({"recipients": n, "sequence": bot.seq})

    async def bot_send_text_stream(request: web.Request) -> web.Response:
        spec = await request.json()
        bot = _bot(manager, spec)
        stream_id = bot.send_text_stream(list(spec.get("to") or []), spec.get("topic", "lk.chat"),
                                         spec.get("text", ""), spec.get("attributes"),
                                         int(spec.get("chunk_size", 15000)), spec.get("trailer_attributes"))
        return web.json_response({"stream_id": stream_id})

    async def bot_rpc(request: web.Request) -> web.Response:
        spec = await request.json()
        bot = _bot(manager, spec)
        result = await bot.call_rpc(spec.get("to", ""), spec.get("method", ""), spec.get("payload", ""),
                                    int(spec.get("response_timeout_ms", 10000)),
                                    int(spec.get("ack_timeout_ms", 7000)))
        return web.json_response(result)

    async def bot_received(request: web.Request) -> web.Response:
        bot = _bot(manager, dict(request.query))
        items = list(bot.received)
        if request.query.get("clear") in ("1", "true"):
            bot.received.clear()
        return web.json_response({"received": items})

    async def workers(_: web.Request) -> web.Response:
        return web.json_response(agent_service.workers_snapshot())

    async def jobs(_: web.Request) -> web.Response:
        return web.json_response(agent_service.jobs_snapshot())

    app.router.add_get("/_test/rooms", rooms)
    app.router.add_post("/_test/signal-fault", rtc_service.signal_fault)
    app.router.add_post("/_test/bot/add", bot_add)
    app.router.add_post("/_test/bot/remove", bot_remove)
    app.router.add_post("/_test/bot/send-data", bot_send_data)
    app.router.add_post("/_test/bot/send-text-stream", bot_send_text_stream)
    app.router.add_post("/_test/bot/rpc", bot_rpc)
    app.router.add_get("/_test/bot/received", bot_received)
    app.router.add_get("/_test/workers", workers)
    app.router.add_get("/_test/jobs", jobs)
    app.router.add_post("/_test/terminate-job", agent_service.admin_terminate)
