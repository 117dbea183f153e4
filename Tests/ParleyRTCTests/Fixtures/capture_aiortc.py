# SPDX-License-Identifier: Apache-2.0
#
# Regenerates the aiortc fixtures of ParleyRTC's tests: runs two aiortc peers in one process
# (an audio track each and a "_reliable" data channel), records their offer/answer SDPs and
# every plaintext RTP/RTCP packet aiortc hands to its SRTP layer, and writes them to
# aiortc.json. The tests embed a few of them (SDPFixtures.aiortcOffer/aiortcAnswer,
# AiortcPackets in RTPTests.swift) and Fuzz/Corpus holds more as seeds.
#
#   pip install aiortc && python3 capture_aiortc.py
import asyncio, json
from aiortc import RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack
from aiortc.rtcdtlstransport import RTCDtlsTransport

captured = []
orig = RTCDtlsTransport._send_rtp
async def hook(self, data):
    captured.append(bytes(data).hex())
    return await orig(self, data)
RTCDtlsTransport._send_rtp = hook

async def main():
    a, b = RTCPeerConnection(), RTCPeerConnection()
    a.addTrack(AudioStreamTrack())
    a.createDataChannel("_reliable")
    @b.on("track")
    def on_track(t):
        async def drain():
            while True:
                await t.recv()
        asyncio.ensure_future(drain())
    await a.setLocalDescription(await a.createOffer())
    offer = a.localDescription.sdp
    await b.setRemoteDescription(a.localDescription)
    b.addTrack(AudioStreamTrack())
    await b.setLocalDescription(await b.createAnswer())
    answer = b.localDescription.sdp
    await a.setRemoteDescription(b.localDescription)
    await asyncio.sleep(7)
    await a.close(); await b.close()
    json.dump({"offer": offer, "answer": answer, "packets": captured}, open("aiortc.json", "w"), indent=1)
asyncio.run(main())
