# SPDX-License-Identifier: Apache-2.0
#
# A real SCTP + data channel peer for SCTPInteropTests: aiortc's RTCDtlsTransport and
# RTCSctpTransport (which both send INIT, so the association opens simultaneously) over a UDP
# socket on 127.0.0.1, with a stand-in for the ICE transport (as dtls_peer_aiortc.py).
#
#   python3 sctp_peer_aiortc.py --role server|client --peer-port N --peer-fingerprint "sha-256 AB:..."
#
# Once connected it opens "from-aiortc" (ordered, reliable) and "aiortc-lossy" (unordered,
# maxRetransmits 0) and sends on them: 1 KB and 60 KB binary and a text on the first, one
# binary on the second. It expects the test to open "from-parley" (reliable) and
# "parley-lossy" (unordered-unreliable) and to send the same set back. Payload byte i of a
# message with seed s is (i * 31 + s) % 256. Then it closes "from-aiortc" (stream reset).
#
# stdout, one JSON object per line:
#   {"port": P, "fingerprint": "sha-256 ..."}            as soon as the socket is bound
#   {"channels": {label: {id, ordered, maxRetransmits, protocol}}, "messages": [...]}
#   {"closed": [labels of channels that reached "closed"]}  just before exiting
import argparse, asyncio, hashlib, json, sys

from aiortc.rtcdtlstransport import RTCCertificate, RTCDtlsFingerprint, RTCDtlsParameters, RTCDtlsTransport
from aiortc.rtcsctptransport import RTCSctpCapabilities, RTCSctpTransport
from aiortc.rtcdatachannel import RTCDataChannel, RTCDataChannelParameters


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


def payload(count, seed):
    return bytes((i * 31 + seed) % 256 for i in range(count))


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
    sctp = RTCSctpTransport(dtls, port=5000)

    channels = {}
    messages = []
    expected = 4  # three on from-parley, one on parley-lossy
    done = asyncio.Event()
    closed = []

    def watch(channel):
        @channel.on("message")
        def on_message(message):
            kind = "text" if isinstance(message, str) else "binary"
            data = message.encode() if kind == "text" else message
            messages.append({"label": channel.label, "kind": kind, "length": len(data),
                             "sha256": hashlib.sha256(data).hexdigest(),
                             "text": message if kind == "text" else None})
            if len(messages) >= expected:
                done.set()

        @channel.on("close")
        def on_close():
            closed.append(channel.label)

    @sctp.on("datachannel")
    def on_datachannel(channel):
        channels[channel.label] = {"id": channel.id, "ordered": channel.ordered,
                                   "maxRetransmits": channel.maxRetransmits, "protocol": channel.protocol}
        watch(channel)

    algorithm, value = args.peer_fingerprint.split(" ", 1)
    await asyncio.wait_for(
        dtls.start(RTCDtlsParameters(fingerprints=[RTCDtlsFingerprint(algorithm=algorithm, value=value)])), 10)
    await sctp.start(RTCSctpCapabilities(maxMessageSize=65536), 5000)

    reliable = RTCDataChannel(sctp, RTCDataChannelParameters(label="from-aiortc", protocol="aiortc"))
    lossy = RTCDataChannel(sctp, RTCDataChannelParameters(label="aiortc-lossy", ordered=False, maxRetransmits=0))
    watch(reliable)
    watch(lossy)
    opened = asyncio.Event()
    opened_count = [0]

    def mark_open():
        opened_count[0] += 1
        if opened_count[0] == 2:
            opened.set()
    reliable.on("open", mark_open)
    lossy.on("open", mark_open)
    await asyncio.wait_for(opened.wait(), 10)

    reliable.send(payload(1024, 11))
    reliable.send(payload(60 * 1024, 12))
    reliable.send("hello from aiortc")
    lossy.send(b"lossy from aiortc")

    try:
        await asyncio.wait_for(done.wait(), 15)
    except asyncio.TimeoutError:
        pass
    emit({"channels": channels, "messages": messages})

    # Let our last messages drain, then close one of ours; wait for the test's close too.
    await asyncio.sleep(0.5)
    reliable.close()
    # Up to 20 s: a loaded CI machine can take seconds to schedule the test's side of the close.
    for _ in range(200):
        if "from-aiortc" in closed and "from-parley" in closed:
            break
        await asyncio.sleep(0.1)
    emit({"closed": sorted(closed)})
    await sctp.stop()
    await dtls.stop()
    transport.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
