# SPDX-License-Identifier: Apache-2.0
#
# A renegotiating WebRTC peer for RenegotiationInteropTests: aiortc's RTCPeerConnection on
# 127.0.0.1 playing LiveKit's server on the subscriber connection. Its first offer has only
# the data channel section; on command it re-offers with one more sendonly tone track (one
# m-section per track), sets a section inactive, or reuses it for a new track; it answers
# offers from the Swift side (renegotiation, an ICE restart it does not perform itself).
#
#   python3 pc_renego_aiortc.py
#
# Tracks send a sine tone (amplitude 0.4, 48 kHz mono frames of 20 ms) of the commanded
# frequency. The data channel "from-aiortc" sends a message (byte i of a message with seed s
# is (i * 31 + s) % 256) of the commanded size on each {"send": ...}; what arrives on channels
# the Swift side opens is reported.
#
# stdout, one JSON object per line:
#   {"type": "offer"|"answer", "sdp": "...", "seq": N}   our description (candidates included)
#   {"state": "..."}                                       connection state changes
#   {"received": {"label": [[size, ok], ...]}}            whenever a data channel message arrives
#   {"error": "..."}                                        a command failed
#   {"done": true, "state": "..."}                         after {"close": true}, before exiting
# stdin, one JSON object per line:
#   {"type": "offer"|"answer", "sdp": "..."}             the Swift side's description
#   {"candidate": "candidate:...", "sdpMid": "0"}        a trickled candidate ("" = end of candidates)
#   {"add_track": {"frequency": 440}}                    add a sendonly tone track and re-offer
#   {"set_direction": {"mid": "1", "direction": "inactive"}}   change a section and re-offer
#   {"replace_track": {"mid": "1", "frequency": 880}}    a new track (new msid) on a section, sendonly, re-offer
#   {"send": {"size": 1000, "seed": 3}}                 send one message on "from-aiortc"
#   {"close": true}                                       close (SCTP ABORT, DTLS close_notify) and exit
import argparse, array, asyncio, fractions, json, math, sys, time

import aioice.ice

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]  # loopback only

import av
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

RATE = 48000
FRAME = 960


class ToneTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, frequency):
        super().__init__()
        self.frequency = frequency
        self.sent = 0
        self.start = None

    async def recv(self):
        if self.start is None:
            self.start = time.monotonic()
        due = self.start + self.sent / RATE
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        f = self.frequency
        samples = array.array("h", (int(0.4 * 32767 * math.sin(2 * math.pi * f * (self.sent + i) / RATE)) for i in range(FRAME)))
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
    argparse.ArgumentParser().parse_args()
    pc = RTCPeerConnection()
    received = {}
    seq = 0

    @pc.on("connectionstatechange")
    def on_state():
        emit({"state": pc.connectionState})

    def watch(channel):
        @channel.on("message")
        def on_message(message):
            ok = isinstance(message, bytes) and len(message) > 0 and message == payload(len(message), message[0])
            received.setdefault(channel.label, []).append([len(message), ok])
            emit({"received": received})

    @pc.on("datachannel")
    def on_datachannel(channel):
        watch(channel)

    channel = pc.createDataChannel("from-aiortc")

    async def offer():
        nonlocal seq
        seq += 1
        await pc.setLocalDescription(await pc.createOffer())
        emit({"type": "offer", "sdp": pc.localDescription.sdp, "seq": seq})

    def transceiver(mid):
        return next(t for t in pc.getTransceivers() if t.mid == mid)

    await offer()
    closing = False
    while not closing:
        message = await read_json()
        try:
            if message is None or message.get("close"):
                closing = True
            elif message.get("type") == "offer":
                await pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="offer"))
                await pc.setLocalDescription(await pc.createAnswer())
                seq += 1
                emit({"type": "answer", "sdp": pc.localDescription.sdp, "seq": seq})
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
            elif "add_track" in message:
                pc.addTransceiver(ToneTrack(message["add_track"]["frequency"]), direction="sendonly")
                await offer()
            elif "set_direction" in message:
                transceiver(message["set_direction"]["mid"]).direction = message["set_direction"]["direction"]
                await offer()
            elif "replace_track" in message:
                t = transceiver(message["replace_track"]["mid"])
                t.sender.replaceTrack(ToneTrack(message["replace_track"]["frequency"]))
                t.direction = "sendonly"
                await offer()
            elif "send" in message:
                # The first byte of payload(size, seed) is seed % 256, which lets the receiver check it.
                channel.send(payload(message["send"]["size"], message["send"]["seed"]))
        except Exception as error:  # report, keep serving: the Swift side asserts on it
            emit({"error": repr(error)})
    state = pc.connectionState
    await pc.close()
    emit({"done": True, "state": state})


asyncio.run(main())
