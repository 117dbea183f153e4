#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An OpenAI chat-completions protocol test server for Parley's LLM stage tests.

usage: openai_server.py [--host 127.0.0.1] [--port 0] [--exit-on-stdin-eof] [--log-level L]

Prints the bound port on the first stdout line. It speaks the streaming wire format of
POST /v1/chat/completions with "stream": true: `Content-Type: text/event-stream`, one
`data: {chat.completion.chunk JSON}` event per delta (blank line after each), the first delta
carrying `"role": "assistant"`, tool calls as `delta.tool_calls[{index, id, type, function:
{name, arguments}}]` with the arguments spread over several chunks, a last chunk with an empty
delta and `finish_reason`, then `data: [DONE]`. Errors are JSON
`{"error": {"message", "type", "param", "code"}}` with the HTTP status.

Tests pick a scenario and an isolation key through the base URL, so tests running in parallel
never share state:

  POST /s/<session>/<scenario>/v1/chat/completions      (any prefix ending in /chat/completions
                                                         also works: session "default", scenario "ok")
Scenarios:
  ok                reply "Echo: <last user message>" in 3-character deltas, finish_reason "stop"
  tool              "Checking." then two tool calls (get_weather, get_time), arguments in pieces,
                    finish_reason "tool_calls" (every time: a client's tool step limit must stop it)
  tool_round_trip   as tool; but when the last message is a tool result, the reply is
                    "Results: <tool contents joined by ' | '>"
  slow_first_byte   waits ?delay_ms= (default 3000) before sending anything, then behaves as ok
  error_500         HTTP 500 with an OpenAI JSON error
  error_401         HTTP 401 with an OpenAI JSON error (invalid_api_key)
  drop              two deltas, then the TCP connection is closed (no last chunk, no [DONE])
  malformed         one delta, then a chunk whose JSON is cut off, then the rest as ok
  not_sse           200 with a whole (non-streamed) chat.completion JSON body, as a server ignoring "stream"
  stream_error      one delta, then `data: {"error": {...}}` (as OpenAI does for mid-stream failures)
  hang              one delta, then nothing until the client goes away (interruption tests)

Admin endpoints (exist only in this test server):
  GET /_test/requests?session=S     {"requests": [{"scenario", "authorization", "body"}...]}
  GET /_test/disconnects?session=S  {"disconnects": N}  streams the client closed before the end
  POST /_test/tool/NAME             a webhook tool: {"tool", "arguments", "authorization"} echoed;
                                    NAME "broken" answers HTTP 500
"""

import asyncio
import json
import logging
import time

from aiohttp import web

import server_launcher

log = logging.getLogger("openai_server")


class Store:
    def __init__(self):
        self.requests: dict[str, list] = {}
        self.disconnects: dict[str, int] = {}


def chunk(completion_id, model, delta, finish_reason=None):
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_parley_test",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }


def error_body(message, type_, code):
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def last_user_text(body):
    for m in reversed(body.get("messages", [])):
        if m.get("role") == "user":
            content = m.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def pieces(text, size=3):
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


async def send(resp, obj):
    data = obj if isinstance(obj, str) else json.dumps(obj)
    await resp.write(f"data: {data}\n\n".encode())


async def completions(request: web.Request):
    store: Store = request.app["store"]
    prefix = request.match_info.get("prefix", "")
    parts = [p for p in prefix.split("/") if p]
    session, scenario = "default", "ok"
    if len(parts) >= 3 and parts[0] == "s":
        session, scenario = parts[1], parts[2]
    try:
        body = await request.json()
    except Exception:
        return web.json_response(error_body("We could not parse the JSON body of your request.",
                                            "invalid_request_error", None), status=400)
    store.requests.setdefault(session, []).append({
        "scenario": scenario, "authorization": request.headers.get("Authorization"), "body": body})
    model = body.get("model", "unknown")
    completion_id = f"chatcmpl-test{len(store.requests[session])}"

    if scenario == "error_500":
        return web.json_response(error_body("The server had an error while processing your request. Sorry about that!",
                                            "server_error", None), status=500)
    if scenario == "error_401":
        return web.json_response(error_body("Incorrect API key provided.", "invalid_request_error",
                                            "invalid_api_key"), status=401)
    if not body.get("stream"):
        return web.json_response(error_body("this test server only streams", "invalid_request_error", None),
                                 status=400)
    if scenario == "not_sse":
        return web.json_response({"id": completion_id, "object": "chat.completion", "model": model, "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "whole"}, "finish_reason": "stop"}]})
    if scenario == "slow_first_byte":
        await asyncio.sleep(int(request.query.get("delay_ms", "3000")) / 1000)

    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await resp.prepare(request)
    reply = "Echo: " + last_user_text(body)
    try:
        await send(resp, chunk(completion_id, model, {"role": "assistant", "content": ""}))
        if scenario == "tool_round_trip" and body.get("messages") and body["messages"][-1].get("role") == "tool":
            # After the tool results: answer from them, so a test sees they reached the model.
            results = [m.get("content", "") for m in body["messages"] if m.get("role") == "tool"]
            for p in pieces("Results: " + " | ".join(results)):
                await send(resp, chunk(completion_id, model, {"content": p}))
            await send(resp, chunk(completion_id, model, {}, "stop"))
            await send(resp, "[DONE]")
            return resp
        if scenario in ("tool", "tool_round_trip"):
            await send(resp, chunk(completion_id, model, {"content": "Checking."}))
            calls = [("call_w1", "get_weather", '{"city": "Paris", "unit": "celsius"}'),
                     ("call_t2", "get_time", '{"zone": "Europe/Paris"}')]
            for index, (call_id, name, args) in enumerate(calls):
                await send(resp, chunk(completion_id, model, {"tool_calls": [{
                    "index": index, "id": call_id, "type": "function",
                    "function": {"name": name, "arguments": ""}}]}))
                for p in pieces(args, 5):
                    await send(resp, chunk(completion_id, model,
                                           {"tool_calls": [{"index": index, "function": {"arguments": p}}]}))
            await send(resp, chunk(completion_id, model, {}, "tool_calls"))
            await send(resp, "[DONE]")
            return resp
        deltas = pieces(reply)
        for i, p in enumerate(deltas):
            await send(resp, chunk(completion_id, model, {"content": p}))
            if scenario == "drop" and i == 1:
                # Abrupt close: no terminating chunk of the chunked encoding, no [DONE].
                request.transport.close()
                return resp
            if scenario == "malformed" and i == 0:
                await resp.write(b'data: {"id": "' + completion_id.encode() + b'", "choices": [{"delta": {"content": "x\n\n')
            if scenario == "stream_error" and i == 0:
                await send(resp, error_body("The model overloaded mid-stream.", "server_error", "overloaded"))
                await send(resp, "[DONE]")
                return resp
            if scenario == "hang" and i == 0:
                while True:
                    # Writing a keep-alive comment notices a closed connection.
                    await asyncio.sleep(0.05)
                    await resp.write(b": keep-alive\n\n")
            await asyncio.sleep(0.005)
        await send(resp, chunk(completion_id, model, {}, "stop"))
        await send(resp, "[DONE]")
        await resp.write_eof()
    except (ConnectionResetError, asyncio.CancelledError) as e:
        store.disconnects[session] = store.disconnects.get(session, 0) + 1
        log.info("client went away (%s): %s", session, type(e).__name__)
        if isinstance(e, asyncio.CancelledError):
            raise
    return resp


async def admin_requests(request: web.Request):
    store: Store = request.app["store"]
    return web.json_response({"requests": store.requests.get(request.query.get("session", "default"), [])})


async def admin_disconnects(request: web.Request):
    store: Store = request.app["store"]
    return web.json_response({"disconnects": store.disconnects.get(request.query.get("session", "default"), 0)})


async def tool_webhook(request: web.Request):
    """A webhook tool: echoes the tool name, the arguments and the Authorization header back."""
    name = request.match_info["name"]
    body = await request.text()
    if name == "broken":
        return web.json_response({"error": "tool backend down"}, status=500)
    return web.json_response({"tool": name, "arguments": json.loads(body or "{}"),
                              "authorization": request.headers.get("Authorization")})


def build_app():
    app = web.Application()
    app["store"] = Store()
    app.router.add_get("/_test/requests", admin_requests)
    app.router.add_get("/_test/disconnects", admin_disconnects)
    app.router.add_post("/_test/tool/{name}", tool_webhook)
    app.router.add_post("/{prefix:.*}/chat/completions", completions)
    app.router.add_post("/chat/completions", completions)
    return app


if __name__ == "__main__":
    server_launcher.run(__doc__, build_app)
