# SPDX-License-Identifier: Apache-2.0
"""The deterministic "speech" of Parley's speech protocol test servers.

TTS servers (cartesia_server.py, elevenlabs_server.py, openai_audio_server.py) synthesize it and
the transcription server decodes it, so tests can check audio length, content and order exactly
(the Swift side is `SpeechTone` in Tests/ParleyProviderConformance):

  every character c of the text becomes 20 ms of a 440 Hz sine whose peak amplitude is
  64 * min(ord(c), 511), phase restarting at each character; 16-bit little-endian mono PCM.

Decoding cuts the audio into 20 ms segments and maps each segment's peak |sample| back to
chr(round(peak / 64)); a segment with a peak under 32 is silence and yields nothing.
"""

import math
import struct

CHAR_MS = 20
FREQUENCY = 440.0
STEP = 64


def samples_per_char(rate: int) -> int:
    return rate * CHAR_MS // 1000


def amplitude(char: str) -> int:
    return STEP * min(ord(char), 511)


def encode(text: str, rate: int) -> bytes:
    """16-bit LE mono PCM for `text` at `rate` Hz: len(text) * 20 ms."""
    n = samples_per_char(rate)
    out = bytearray()
    for c in text:
        a = amplitude(c)
        out += struct.pack(f"<{n}h", *(int(round(a * math.sin(2 * math.pi * FREQUENCY * i / rate))) for i in range(n)))
    return bytes(out)


def decode(pcm: bytes, rate: int) -> str:
    """The text in 16-bit LE mono PCM made by `encode` (silence skipped)."""
    n = samples_per_char(rate)
    count = len(pcm) // 2
    samples = struct.unpack(f"<{count}h", pcm[:count * 2])
    text = []
    for start in range(0, count - n + 1, n):
        peak = max(abs(s) for s in samples[start:start + n])
        if peak >= STEP // 2:
            text.append(chr(round(peak / STEP)))
    return "".join(text)


def char_bytes(rate: int) -> int:
    return samples_per_char(rate) * 2
