# SPDX-License-Identifier: Apache-2.0
"""Audio forwarding inside the test SFU: a received track fans out to subscriber tracks.

The real SFU forwards RTP untouched (rewriting SSRC/sequence/timestamps). Here aiortc decodes the
publisher's Opus and each subscriber's sender re-encodes it, which is simpler and still proves
the audio made the round trip. ``AudioRelay`` pumps one received track; each subscription is a
``ForwardTrack`` (a reusable slot: when the subscriber's transceiver is reused for another track
the slot is re-pointed, because an aiortc sender cannot change its track once started).
"""
import array
import asyncio
import math
from fractions import Fraction

import logging

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

log = logging.getLogger("lk.media")


def frame_rms(frame) -> float:
    """RMS of a packed s16 frame, 0..1 (the decoders here output packed s16)."""
    if frame.format.name != "s16":
        return 0.0
    samples = array.array("h", bytes(frame.planes[0])[: frame.samples * len(frame.layout.channels) * 2])
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768.0


def copy_frame(frame):
    new = av.AudioFrame(format=frame.format.name, layout=frame.layout.name, samples=frame.samples)
    for src, dst in zip(frame.planes, new.planes):
        data = bytes(src)[: dst.buffer_size]
        if len(data) < dst.buffer_size:
            data += bytes(dst.buffer_size - len(data))
        dst.update(data)
    new.sample_rate = frame.sample_rate
    return new


class AudioRelay:
    """Reads a received track and hands every decoded frame to the attached ForwardTracks."""

    def __init__(self, source: MediaStreamTrack):
        self.source = source
        self.sinks: set = set()
        self.frames = 0
        self.rms = 0.0          # of the most recent measured frame
        self.peak_rms = 0.0
        self.ended = False
        self.task = asyncio.ensure_future(self._run())

    async def _run(self):
        try:
            while True:
                frame = await self.source.recv()
                self.frames += 1
                if self.frames % 5 == 1:
                    self.rms = frame_rms(frame)
                    self.peak_rms = max(self.peak_rms, self.rms)
                for sink in list(self.sinks):
                    sink.push(copy_frame(frame))
        except (MediaStreamError, asyncio.CancelledError):
            pass
        except Exception:
            log.exception("audio relay stopped")
        finally:
            self.ended = True

    def stats(self) -> dict:
        return {"frames": self.frames, "rms": round(self.rms, 4), "peak_rms": round(self.peak_rms, 4),
                "ended": self.ended}

    def stop(self):
        self.task.cancel()
        for sink in list(self.sinks):
            sink.detach()


class ForwardTrack(MediaStreamTrack):
    """One subscription's outgoing audio; blocks (sends nothing) while detached."""

    kind = "audio"

    def __init__(self):
        super().__init__()
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=50)
        self.relay: AudioRelay | None = None
        self.pts = 0
        self.sent = 0

    def attach(self, relay: AudioRelay):
        self.detach()
        self.relay = relay
        relay.sinks.add(self)

    def detach(self):
        if self.relay is not None:
            self.relay.sinks.discard(self)
            self.relay = None
        while not self.queue.empty():
            self.queue.get_nowait()

    def push(self, frame):
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(frame)

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self.queue.get()
        frame.pts = self.pts
        frame.time_base = Fraction(1, frame.sample_rate)
        self.pts += frame.samples
        self.sent += 1
        return frame
