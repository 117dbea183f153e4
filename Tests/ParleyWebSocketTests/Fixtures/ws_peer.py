# SPDX-License-Identifier: Apache-2.0
"""WebSocket test peer for ParleyWebSocketTests, on aiohttp.

usage: ws_peer.py     prints five lines, then serves until stdin reaches EOF:
                        <port>             plain ws:// on 127.0.0.1
                        <tls port>         the same routes over wss:// (self-signed)
                        <cert path>        that certificate (PEM; CA:TRUE, SAN localhost + 127.0.0.1)
                        <other tls port>   the same routes over wss:// with a certificate for
                        <other cert path>  other.example only (for host name mismatch tests)

Routes (echoing routes take ?id=X and then record the client's close and how many messages came):
  /echo          echoes text and binary messages
  /send?size=N   sends one binary message of N bytes (byte i is i % 251), then echoes
  /fragmented    sends three messages split across frames (a ping between fragments, a UTF-8
                 character split across frames, 16- and 64-bit lengths), then echoes
  /reject401     plain HTTP 401 with a text body, no upgrade
  /redirect      plain HTTP 302 to /echo
  /close4001     closes at once with 4001 "server says bye"
  /ping          sends a WebSocket PING every 100 ms and counts PONGs; any text message is
                 answered with "pongs=N"
  /auth          upgrades only with "Authorization: Bearer x"; sends JSON with the header,
                 the access_token query parameter and the length of any X-Extra header
  /stall         upgrades, then never reads again (the client's sends back up)
  /report?id=X   sends JSON {"code": c, "reason": r, "received": n} recorded for X (null if none yet)
"""
import asyncio
import datetime
import ipaddress
import json
import os
import shutil
import ssl
import struct
import sys
import tempfile
import threading

from aiohttp import WSMsgType, web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

MAX_MSG = 8 * 1024 * 1024
closes = {}  # id -> {"code": int|None, "reason": str}


def pattern(n):
    return bytes(i % 251 for i in range(n))


async def upgrade(request, **kwargs):
    ws = web.WebSocketResponse(max_msg_size=MAX_MSG, **kwargs)
    await ws.prepare(request)
    return ws


async def echo_until_close(request, ws):
    """Echoes until the client closes; records its close code/reason under ?id=."""
    code, reason, received = None, "", 0
    while True:
        msg = await ws.receive()
        if msg.type == WSMsgType.TEXT:
            received += 1
            await ws.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            received += 1
            await ws.send_bytes(msg.data)
        elif msg.type == WSMsgType.CLOSE:
            code, reason = msg.data, msg.extra or ""
            break
        elif msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
            code = ws.close_code
            break
    if "id" in request.query:
        closes[request.query["id"]] = {"code": code, "reason": reason, "received": received}
    if not ws.closed:
        await ws.close()
    return ws


async def echo(request):
    return await echo_until_close(request, await upgrade(request))


async def send(request):
    ws = await upgrade(request)
    await ws.send_bytes(pattern(int(request.query["size"])))
    return await echo_until_close(request, ws)


def frame(opcode, payload, fin):
    """An unmasked server frame."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


async def fragmented(request):
    ws = await upgrade(request)
    # aiohttp only writes whole messages, so the fragments go straight to the transport.
    out = request.transport
    out.write(frame(0x2, b"abc", False) + frame(0x9, b"p", True) + frame(0x0, b"def", False) + frame(0x0, b"ghi", True))
    text = "héllo wörld ✓".encode()
    out.write(frame(0x1, text[:2], False) + frame(0x0, text[2:9], False) + frame(0x0, text[9:], True))
    big = pattern(200_000)
    out.write(frame(0x2, big[:100], False) + frame(0x0, big[100:70_000], False) + frame(0x0, big[70_000:], True))
    return await echo_until_close(request, ws)


async def reject401(request):
    return web.Response(status=401, text="missing or bad token")


async def redirect(request):
    raise web.HTTPFound("/echo")


async def close4001(request):
    ws = await upgrade(request)
    await ws.close(code=4001, message=b"server says bye")
    return ws


async def ping(request):
    ws = await upgrade(request, autoping=False)
    pongs = 0

    async def pinger():
        n = 0
        while not ws.closed:
            await ws.ping(str(n).encode())
            n += 1
            await asyncio.sleep(0.1)

    task = asyncio.ensure_future(pinger())
    try:
        while True:
            msg = await ws.receive()
            if msg.type == WSMsgType.PONG:
                pongs += 1
            elif msg.type == WSMsgType.TEXT:
                await ws.send_str(f"pongs={pongs}")
            elif msg.type == WSMsgType.CLOSE:
                await ws.close()
                break
            elif msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                break
    finally:
        task.cancel()
    return ws


async def auth(request):
    if request.headers.get("Authorization") != "Bearer x":
        return web.Response(status=403, text="bad authorization header")
    ws = await upgrade(request)
    await ws.send_str(json.dumps({
        "authorization": request.headers.get("Authorization"),
        "access_token": request.query.get("access_token"),
        "x_extra_len": len(request.headers.get("X-Extra", "")),
    }))
    return await echo_until_close(request, ws)


async def stall(request):
    ws = await upgrade(request)
    await asyncio.sleep(3600)
    return ws


async def report(request):
    ws = await upgrade(request)
    await ws.send_str(json.dumps(closes.get(request.query.get("id", ""))))
    return await echo_until_close(request, ws)


def make_cert(directory, stem, host, ip):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    names = [x509.DNSName(host)] + ([x509.IPAddress(ipaddress.ip_address(ip))] if ip else [])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(directory, stem + "-cert.pem")
    key_path = os.path.join(directory, stem + "-key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def exit_on_stdin_eof(directory):
    """The Swift test keeps our stdin open; when it exits (even killed), so do we."""
    sys.stdin.buffer.read()
    shutil.rmtree(directory, ignore_errors=True)
    os._exit(0)


async def main():
    app = web.Application()
    app.add_routes([
        web.get("/echo", echo), web.get("/send", send), web.get("/fragmented", fragmented),
        web.get("/reject401", reject401), web.get("/redirect", redirect), web.get("/close4001", close4001), web.get("/ping", ping),
        web.get("/auth", auth), web.get("/stall", stall), web.get("/report", report),
    ])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    plain = web.TCPSite(runner, "127.0.0.1", 0)
    await plain.start()
    directory = tempfile.mkdtemp(prefix="ws_peer_")
    sites, certs = [plain], []
    for stem, host, ip in (("localhost", "localhost", "127.0.0.1"), ("other", "other.example", None)):
        cert_path, key_path = make_cert(directory, stem, host, ip)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_path, key_path)
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        sites.append(site)
        certs.append(cert_path)
    ports = [site._server.sockets[0].getsockname()[1] for site in sites]
    for line in (ports[0], ports[1], certs[0], ports[2], certs[1]):
        print(line, flush=True)
    threading.Thread(target=exit_on_stdin_eof, args=(directory,), daemon=True).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
