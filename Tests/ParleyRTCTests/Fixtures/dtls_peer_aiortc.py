# SPDX-License-Identifier: Apache-2.0
#
# A real DTLS-SRTP peer for DTLSInteropTests: aiortc's RTCDtlsTransport (pyOpenSSL DTLS 1.2,
# use_srtp, pylibsrtp) over a UDP socket on 127.0.0.1, with a stand-in for the ICE transport
# (aiortc only calls its `role`, `_send` and `_recv`).
#
#   python3 dtls_peer_aiortc.py --role server|client --peer-port N --peer-fingerprint "sha-256 AB:..."
#
# stdout, one JSON object per line:
#   {"port": P, "fingerprint": "sha-256 ..."}             as soon as the socket is bound
#   {"connected": true, "profile": ..., "keying_material_sha256": ..., "data": ..., "rtp": ...}
# The keying material itself is never printed, only its SHA-256. After connecting, the script
# sends one application message and one SRTP packet, then reports what it received of each.
import argparse, asyncio, hashlib, json, sys

from aiortc.rtcdtlstransport import (
    RTCCertificate, RTCDtlsFingerprint, RTCDtlsParameters, RTCDtlsTransport, SRTP_PROFILES)


class LoopbackIce(asyncio.DatagramProtocol):
    """What RTCDtlsTransport needs of an RTCIceTransport: a role and _send/_recv."""

    def __init__(self, role):
        self.role = role
        self.queue = asyncio.Queue()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.queue.put_nowait(data)

    async def _send(self, data):
        self.transport.sendto(data)

    async def _recv(self):
        return await self.queue.get()


class Collector:
    def __init__(self):
        self.data = asyncio.Queue()

    async def _handle_data(self, data):
        self.data.put_nowait(data)


def emit(obj):
    print(json.dumps(obj), flush=True)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["client", "server"], required=True)
    parser.add_argument("--peer-port", type=int, required=True)
    parser.add_argument("--peer-fingerprint", required=True)
    args = parser.parse_args()

    loop = asyncio.get_running_loop()
    ice = LoopbackIce("controlled")
    transport, _ = await loop.create_datagram_endpoint(
        lambda: ice, local_addr=("127.0.0.1", 0), remote_addr=("127.0.0.1", args.peer_port))
    certificate = RTCCertificate.generateCertificate()
    sha256 = [f for f in certificate.getFingerprints() if f.algorithm == "sha-256"][0]
    emit({"port": transport.get_extra_info("sockname")[1], "fingerprint": f"sha-256 {sha256.value}"})

    dtls = RTCDtlsTransport(ice, [certificate])
    dtls._set_role(args.role)
    received_rtp = asyncio.Queue()

    async def on_rtp(data, arrival_time_ms):
        received_rtp.put_nowait(data)
    dtls._handle_rtp_data = on_rtp
    collector = Collector()
    dtls._register_data_receiver(collector)

    algorithm, value = args.peer_fingerprint.split(" ", 1)
    await asyncio.wait_for(
        dtls.start(RTCDtlsParameters(fingerprints=[RTCDtlsFingerprint(algorithm=algorithm, value=value)])), 10)
    if dtls.state != "connected":
        emit({"connected": False, "state": dtls.state})
        return 1

    name = dtls._ssl.get_selected_srtp_profile()
    profile = [p for p in SRTP_PROFILES if p.openssl_profile == name][0]
    material = dtls._ssl.export_keying_material(
        b"EXTRACTOR-dtls_srtp", 2 * (profile.key_length + profile.salt_length))

    await dtls._send_data(b"hello from aiortc")
    # RTP: V=2, PT 111, seq 1, ts 0, SSRC 0xA10A10A1.
    await dtls._send_rtp(bytes([0x80, 111, 0, 1, 0, 0, 0, 0, 0xA1, 0x0A, 0x10, 0xA1]) + b"aiortc rtp payload")

    data = await asyncio.wait_for(collector.data.get(), 10)
    rtp = await asyncio.wait_for(received_rtp.get(), 10)
    emit({
        "connected": True,
        "profile": name.decode(),
        "keying_material_sha256": hashlib.sha256(bytes(material)).hexdigest(),
        "data": data.decode(errors="replace"),
        "rtp": rtp.hex(),
    })
    await asyncio.sleep(0.2)
    await dtls.stop()
    transport.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
