# SPDX-License-Identifier: Apache-2.0
#
# A real WebRTC peer for PeerConnectionInteropTests: aiortc's RTCPeerConnection on 127.0.0.1,
# exchanging SDP and trickled candidates with the Swift test as JSON lines.
#
#   python3 pc_peer_aiortc.py --mode offer|answer --pcm-out PATH
#
# It sends a 440 Hz tone (amplitude 0.4, 48 kHz mono frames of 20 ms) on an audio track,
# writes the audio it receives (left channel, s16le, 48 kHz) to PATH, opens the data channel
# "from-aiortc" and sends a 1 KB and a 60 KB binary message on it (byte i of a message with
# seed s is (i * 31 + s) % 256; seeds 1 and 2), and records what arrives on the channels the
# Swift side opens.
#
# stdout, one JSON object per line:
#   {"type": "offer"|"answer", "sdp": "..."}           our description (candidates included)
#   {"state": "connected"}                              when the connection state is connected
#   {"received": {"label": [[size, ok], ...]}}         whenever a data channel message arrives
#   {"done": true, "samples": N, "state": "..."}       after {"close": true}, before exiting
# stdin, one JSON object per line:
#   {"type": "offer"|"answer", "sdp": "..."}           the Swift side's description
#   {"candidate": "candidate:...", "sdpMid": "0"}      a trickled candidate ("" = end of candidates)
#   {"close": true}                                     write the PCM, close and exit
import argparse, array, asyncio, fractions, json, math, sys, time

import aioice.ice

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]  # loopback only

import av
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import candidate_from_sdp

RATE = 48000
FRAME = 960


class ToneTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self):
        super().__init__()
        self.sent = 0
        self.start = None

    async def recv(self):
        if self.start is None:
            self.start = time.monotonic()
        due = self.start + self.sent / RATE
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        samples = array.array("h", (int(0.4 * 32767 * math.sin(2 * math.pi * 440 * (self.sent + i) / RATE)) for i in range(FRAME)))
        frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = RATE
        frame.pts = self.sent
        frame.time_base = fractions.Fraction(1, RATE)
        self.sent += FRAME
        return frame


def payload(count, seed):
    return bytes((i * 31 + seed) % 256 for i in range(count))


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def read_json():
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return json.loads(line) if line.strip() else None


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["offer", "answer"], required=True)
    parser.add_argument("--pcm-out", required=True)
    args = parser.parse_args()

    pc = RTCPeerConnection()
    pcm = array.array("h")
    received = {}
    readers = []

    @pc.on("connectionstatechange")
    def on_state():
        emit({"state": pc.connectionState})

    async def read_track(track):
        try:
            while True:
                frame = await track.recv()
                channels = len(frame.layout.channels)
                data = array.array("h", bytes(frame.planes[0])[: frame.samples * channels * 2])
                pcm.extend(data[::channels])
        except MediaStreamError:
            pass

    @pc.on("track")
    def on_track(track):
        if track.kind == "audio":
            readers.append(asyncio.ensure_future(read_track(track)))

    def watch(channel):
        @channel.on("message")
        def on_message(message):
            seed = len(received.get(channel.label, [])) + 1
            ok = isinstance(message, bytes) and message == payload(len(message), seed)
            received.setdefault(channel.label, []).append([len(message), ok])
            emit({"received": received})

    @pc.on("datachannel")
    def on_datachannel(channel):
        watch(channel)

    pc.addTrack(ToneTrack()) if args.mode == "offer" else None
    channel = None

    def open_ours():
        ch = pc.createDataChannel("from-aiortc")

        @ch.on("open")
        def on_open():
            ch.send(payload(1024, 1))
            ch.send(payload(60000, 2))
        return ch

    if args.mode == "offer":
        channel = open_ours()
        await pc.setLocalDescription(await pc.createOffer())
        emit({"type": "offer", "sdp": pc.localDescription.sdp})
    closing = False
    while not closing:
        message = await read_json()
        if message is None or message.get("close"):
            closing = True
        elif message.get("type") == "offer":
            await pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="offer"))
            pc.addTrack(ToneTrack())
            channel = open_ours()
            await pc.setLocalDescription(await pc.createAnswer())
            emit({"type": "answer", "sdp": pc.localDescription.sdp})
        elif message.get("type") == "answer":
            await pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="answer"))
        elif "candidate" in message:
            text = message["candidate"]
            if text:
                candidate = candidate_from_sdp(text.split(":", 1)[1])
                candidate.sdpMid = message.get("sdpMid")
                await pc.addIceCandidate(candidate)
            else:
                await pc.addIceCandidate(None)
    state = pc.connectionState
    with open(args.pcm_out, "wb") as f:
        f.write(pcm.tobytes())
    await pc.close()
    for reader in readers:
        reader.cancel()
    emit({"done": True, "samples": len(pcm), "state": state})


asyncio.run(main())
