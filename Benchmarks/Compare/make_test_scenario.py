#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Makes a small resolved scenario (PROTOCOL.md) for testing the Python runners by hand.

Parley generates the real ones (`parley bench compare`); this one has fixed latency draws and
this timeline, the user's side spoken by espeak-ng (resampled to 16 kHz by sox, leading and
trailing silence below −50 dBFS trimmed, as Parley's FixtureBuilder does):

    0.5 s silence │ turn 1 │ 3 s │ turn 2 │ 3 s │ turn 3 (long reply) │ 2.5 s │ turn 4 (barge-in) │ tail

The tail leaves room for the last reply to play out (max(pause, 2 s) + reply + 2 s).

Usage: make_test_scenario.py [--out-dir DIR] [--barge-in-after-ms MS]
  --out-dir            default /tmp/parley-bench-test
  --barge-in-after-ms  silence between turn 3 and the barge-in (default 2500); a framework
                       whose endpointing waits longer than this has not started reply 3 yet
Writes DIR/input.wav and DIR/scenario.json and prints the scenario path.
"""

import argparse
import array
import json
import os
import shutil
import subprocess
import sys
import tempfile
import wave

SAMPLE_RATE = 16000
VOICE = ("en-us", 175)  # espeak-ng voice, words per minute
MS_PER_CHAR = 70.0
TTS_SPEED = 1.0

# (what the user says, the agent's reply, silence after the utterance in ms, barge-in?,
#  stt_final_after_ms, llm_ttft_ms, tts_ttfb_ms). Replies 1 and 2 are short so they finish
# before the next turn even with a framework's slowest default endpointing; reply 3 is long so
# it is still playing when turn 4 barges in 2.5 s after turn 3.
TURNS = [
    ("What is the weather like today?", "It is sunny. Yes.", 3000, False, 180.0, 320.0, 150.0),
    ("What is the capital of France?", "Paris. Nice city.", 3000, False, 200.0, 300.0, 140.0),
    ("Tell me a long story please.",
     "Once upon a time there was a small robot. It lived in a quiet town by the sea and it "
     "loved to count the waves every single morning.", 2500, False, 160.0, 280.0, 160.0),
    ("Stop, thank you.", "Okay.", 2000, True, 150.0, 300.0, 150.0),
]


def die(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")
    sys.exit(1)


def run(cmd: list[str]) -> None:
    if shutil.which(cmd[0]) is None:
        die(f"{cmd[0]} not found (apt-get install {cmd[0]})")
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        die(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[:300]}")


def silence(ms: float) -> array.array:
    return array.array("h", [0]) * int(ms * SAMPLE_RATE / 1000)


def utterance(text: str, tmp: str) -> array.array:
    """One utterance: espeak-ng → sox 16 kHz mono 16-bit → trimmed samples."""
    raw, resampled = os.path.join(tmp, "raw.wav"), os.path.join(tmp, "16k.wav")
    run(["espeak-ng", "-v", VOICE[0], "-s", str(VOICE[1]), "-w", raw, text])
    run(["sox", raw, "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", resampled])
    with wave.open(resampled, "rb") as w:
        samples = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder != "little":
        samples.byteswap()
    loud = [i for i, v in enumerate(samples) if abs(v) > 100]
    if not loud:
        die(f"espeak-ng produced silence for {text!r}")
    return samples[loud[0]:loud[-1] + 1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out-dir", default="/tmp/parley-bench-test")
    p.add_argument("--barge-in-after-ms", type=int, default=2500)
    args = p.parse_args()
    out_dir = os.path.abspath(args.out_dir)
    os.makedirs(out_dir, exist_ok=True)

    timeline = silence(500)
    turns = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (say, reply, pause_ms, barge_in, stt, ttft, ttfb) in enumerate(TURNS):
            if i + 1 < len(TURNS) and TURNS[i + 1][3]:
                pause_ms = args.barge_in_after_ms
            speech = utterance(say, tmp)
            start_ms = len(timeline) / SAMPLE_RATE * 1000
            timeline.extend(speech)
            end_ms = len(timeline) / SAMPLE_RATE * 1000
            if i == len(TURNS) - 1:
                pause_ms = max(pause_ms, 2000) + int(len(reply) * MS_PER_CHAR / TTS_SPEED) + 2000
            timeline.extend(silence(pause_ms))
            turns.append({
                "index": i + 1, "text": say, "speech_start_ms": round(start_ms, 4), "speech_end_ms": round(end_ms, 4),
                "reply": reply, "stt_final_after_ms": stt, "llm_ttft_ms": ttft, "llm_tokens_per_s": 80.0,
                "tts_ttfb_ms": ttfb, "tts_speed": TTS_SPEED, "barge_in": barge_in,
            })

    wav_path = os.path.join(out_dir, "input.wav")
    if sys.byteorder != "little":
        timeline.byteswap()
    with wave.open(wav_path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(timeline.tobytes())

    scenario = {
        "name": "python-runner-test", "round": 1, "seed": 7,
        "input": {"wav": wav_path, "sample_rate": SAMPLE_RATE, "frame_ms": 20},
        "pacing": "realtime", "endpointing_ms": 300, "interruption_min_ms": 200,
        "tts": {"sample_rate": 24000, "ms_per_char": MS_PER_CHAR, "chunk_ms": 20, "tone_hz": 220},
        "turns": turns,
    }
    path = os.path.join(out_dir, "scenario.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(scenario, f, indent=2)
        f.write("\n")
    print(path)


if __name__ == "__main__":
    main()
