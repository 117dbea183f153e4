# SPDX-License-Identifier: Apache-2.0
"""Shared code for the Python bench runners (pipecat_runner.py, livekit_agents_runner.py).

Everything here is framework-neutral and follows Benchmarks/Compare/PROTOCOL.md:

- the resolved scenario (input JSON) and its WAV, checked with one clear error per problem;
- the real-time input feeder: frame k is handed over at t0 + (k+1)·frame_ms on the monotonic
  clock, drift-corrected, and its actual hand-over time is kept (turn.speech_end_ms and
  interruption.trigger_ms are read from it);
- the simulated providers' timing: STT final after the audio up to speech_end_ms has been
  received (counted in samples), LLM word tokens (TTFT + tokens/s), TTS tone chunks (TTFB +
  chunk_ms / tts_speed);
- what each session's output saw (which reply, first / last frame, cut or not), turned into
  the raw records at the end;
- the record writer (JSON lines, flushed per line) and the resources record.

Runners import this module from the same directory; it needs only the standard library, plus
psutil when installed (the bench venv has it) for CPU and RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import signal
import sys
import time
import wave
from dataclasses import dataclass
from typing import Any, Callable, Optional

DEBUG = bool(os.environ.get("BENCH_DEBUG"))

try:
    import psutil  # type: ignore
except ImportError:  # resource module fallback below
    psutil = None


# ---------------------------------------------------------------------------------------------
# Resolved scenario
# ---------------------------------------------------------------------------------------------


class ScenarioError(Exception):
    """A resolved scenario (or its WAV) the runner cannot use. The message is one line."""


@dataclass(frozen=True)
class Turn:
    index: int
    text: str
    speech_start_ms: float
    speech_end_ms: float
    reply: str
    stt_final_after_ms: float
    llm_ttft_ms: float
    llm_tokens_per_s: float
    tts_ttfb_ms: float
    tts_speed: float
    barge_in: bool

    @property
    def tokens(self) -> list[str]:
        return reply_tokens(self.reply)


@dataclass(frozen=True)
class TTSSpec:
    sample_rate: int
    ms_per_char: float
    chunk_ms: int
    tone_hz: float


@dataclass(frozen=True)
class Scenario:
    path: str
    name: str
    round: int
    seed: int
    wav: str
    sample_rate: int
    frame_ms: int
    pacing: str
    endpointing_ms: float
    interruption_min_ms: float
    tts: TTSSpec
    turns: tuple[Turn, ...]
    pcm: bytes  # the whole input timeline, 16-bit mono little-endian at sample_rate

    @property
    def frame_samples(self) -> int:
        return self.sample_rate * self.frame_ms // 1000

    @property
    def frame_bytes(self) -> int:
        return self.frame_samples * 2

    @property
    def frame_count(self) -> int:
        return math.ceil(len(self.pcm) / self.frame_bytes)

    @property
    def duration_ms(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate * 1000

    def frame_of_ms(self, ms: float) -> int:
        """Index of the input frame that holds the sample at media time `ms`."""
        sample = max(0, int(math.floor(ms * self.sample_rate / 1000 + 1e-9)))
        return sample // self.frame_samples

    def frame_of_speech_end(self, turn: Turn) -> int:
        """Index of the input frame that holds the turn's last speech sample."""
        last_sample = max(0, int(math.ceil(turn.speech_end_ms * self.sample_rate / 1000 - 1e-9)) - 1)
        return last_sample // self.frame_samples


def _get(obj: dict, key: str, kind: Any, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise ScenarioError(f"{where}: missing \"{key}\"")
    value = obj[key]
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ScenarioError(f"{where}.{key}: expected a number, got {json.dumps(value)}")
        return float(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise ScenarioError(f"{where}.{key}: expected an integer, got {json.dumps(value)}")
        return int(value)
    if not isinstance(value, kind):
        raise ScenarioError(f"{where}.{key}: expected {kind.__name__}, got {json.dumps(value)}")
    return value


def load_scenario(path: str) -> Scenario:
    """Reads and checks a resolved scenario and its WAV; raises ScenarioError."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            root = json.load(f)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except json.JSONDecodeError as e:
        raise ScenarioError(f"{path}: not JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    except OSError as e:
        raise ScenarioError(f"{path}: {e.strerror}") from None
    if not isinstance(root, dict):
        raise ScenarioError(f"{path}: expected a JSON object")
    w = "scenario"
    inp = _get(root, "input", dict, w)
    tts = _get(root, "tts", dict, w)
    turns_raw = _get(root, "turns", list, w)
    sample_rate = _get(inp, "sample_rate", int, "input")
    frame_ms = _get(inp, "frame_ms", int, "input")
    if sample_rate <= 0 or frame_ms <= 0 or (sample_rate * frame_ms) % 1000 != 0:
        raise ScenarioError(f"input: sample_rate {sample_rate} × frame_ms {frame_ms} is not a whole number of samples")
    pacing = _get(root, "pacing", str, w)
    if pacing not in ("realtime", "fast"):
        raise ScenarioError(f"pacing: expected \"realtime\" or \"fast\", got {json.dumps(pacing)}")
    spec = TTSSpec(
        sample_rate=_get(tts, "sample_rate", int, "tts"),
        ms_per_char=_get(tts, "ms_per_char", float, "tts"),
        chunk_ms=_get(tts, "chunk_ms", int, "tts"),
        tone_hz=_get(tts, "tone_hz", float, "tts"),
    )
    if spec.sample_rate <= 0 or spec.chunk_ms <= 0 or (spec.sample_rate * spec.chunk_ms) % 1000 != 0:
        raise ScenarioError(f"tts: sample_rate {spec.sample_rate} × chunk_ms {spec.chunk_ms} is not a whole number of samples")
    if spec.ms_per_char <= 0:
        raise ScenarioError("tts.ms_per_char: must be > 0")
    if not turns_raw:
        raise ScenarioError("turns: empty")
    turns = []
    for i, t in enumerate(turns_raw):
        tw = f"turns[{i}]"
        if not isinstance(t, dict):
            raise ScenarioError(f"{tw}: expected an object")
        turn = Turn(
            index=_get(t, "index", int, tw),
            text=_get(t, "text", str, tw),
            speech_start_ms=_get(t, "speech_start_ms", float, tw),
            speech_end_ms=_get(t, "speech_end_ms", float, tw),
            reply=_get(t, "reply", str, tw),
            stt_final_after_ms=_get(t, "stt_final_after_ms", float, tw),
            llm_ttft_ms=_get(t, "llm_ttft_ms", float, tw),
            llm_tokens_per_s=_get(t, "llm_tokens_per_s", float, tw),
            tts_ttfb_ms=_get(t, "tts_ttfb_ms", float, tw),
            tts_speed=_get(t, "tts_speed", float, tw),
            barge_in=_get(t, "barge_in", bool, tw),
        )
        if turn.speech_end_ms <= turn.speech_start_ms:
            raise ScenarioError(f"{tw}: speech_end_ms {turn.speech_end_ms} is not after speech_start_ms {turn.speech_start_ms}")
        if turn.llm_tokens_per_s <= 0 or turn.tts_speed <= 0:
            raise ScenarioError(f"{tw}: llm_tokens_per_s and tts_speed must be > 0")
        if not turn.text.strip() or not reply_tokens(turn.reply):
            raise ScenarioError(f"{tw}: empty text or reply")
        if turns and turn.speech_start_ms < turns[-1].speech_end_ms:
            raise ScenarioError(f"{tw}: starts before the previous turn's speech ends")
        turns.append(turn)
    if turns[0].barge_in:
        raise ScenarioError("turns[0].barge_in: the first turn cannot barge in")
    wav_path = _get(inp, "wav", str, "input")
    pcm = read_wav(wav_path, sample_rate)
    scenario = Scenario(
        path=path,
        name=_get(root, "name", str, w),
        round=_get(root, "round", int, w),
        seed=_get(root, "seed", int, w),
        wav=wav_path,
        sample_rate=sample_rate,
        frame_ms=frame_ms,
        pacing=pacing,
        endpointing_ms=_get(root, "endpointing_ms", float, w),
        interruption_min_ms=_get(root, "interruption_min_ms", float, w),
        tts=spec,
        turns=tuple(turns),
        pcm=pcm,
    )
    if turns[-1].speech_end_ms > scenario.duration_ms + 1:
        raise ScenarioError(
            f"turns[{len(turns) - 1}].speech_end_ms {turns[-1].speech_end_ms} is past the end of {wav_path} "
            f"({scenario.duration_ms:.1f} ms)")
    return scenario


def read_wav(path: str, sample_rate: int) -> bytes:
    """The PCM of a mono 16-bit WAV at `sample_rate` (what PROTOCOL.md promises); raises ScenarioError."""
    try:
        with wave.open(path, "rb") as w:
            channels, width, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            if channels != 1 or width != 2:
                raise ScenarioError(f"{path}: expected mono 16-bit PCM, got {channels} channel(s) of {8 * width}-bit")
            if rate != sample_rate:
                raise ScenarioError(f"{path}: sample rate {rate} Hz, the scenario says {sample_rate} Hz")
            pcm = w.readframes(n)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file (input.wav)") from None
    except (wave.Error, EOFError) as e:
        raise ScenarioError(f"{path}: not a PCM WAV ({e})") from None
    if not pcm:
        raise ScenarioError(f"{path}: no audio")
    return pcm


# ---------------------------------------------------------------------------------------------
# Simulated providers: the timing rules of PROTOCOL.md
# ---------------------------------------------------------------------------------------------


def reply_tokens(text: str) -> list[str]:
    """The reply as the simulated LLM streams it: each word with its leading space
    ("It", " is", " sunny.", …). Same rule as ResolvedScenario.Turn.tokens(of:) in Swift: a
    space ends the current token (unless the token is empty or a single space) and starts the next."""
    out: list[str] = []
    current = ""
    for ch in text:
        if ch == " " and current and current != " ":
            out.append(current)
            current = ""
        current += ch
    if current.strip(" \t"):
        out.append(current)
    return out


def tokens_in_first_sentence(tokens: list[str]) -> int:
    """How many tokens the LLM produces before the first sentence is complete."""
    for i, t in enumerate(tokens):
        if t and t[-1] in ".!?":
            return i + 1
    return len(tokens)


def expected_ms(turn: Turn, endpointing_ms: float) -> float:
    """PROTOCOL.md "Metrics": max(endpointing, STT final) + TTFT + n/tps + TTS TTFB with
    n = min(k, tokens − 1), k the token that ends the first sentence. (Parley computes the
    figures; this is for the runners' own smoke output.)"""
    tokens = turn.tokens
    n = min(tokens_in_first_sentence(tokens), max(len(tokens) - 1, 0))
    return (max(endpointing_ms, turn.stt_final_after_ms) + turn.llm_ttft_ms
            + n * 1000.0 / turn.llm_tokens_per_s + turn.tts_ttfb_ms)


def find_turn(turns: tuple[Turn, ...], user_text: str) -> Turn:
    """PROTOCOL.md: the turn whose text equals the last user message (trimmed); else the turn
    whose text the message ends with; else the last turn."""
    t = user_text.strip()
    for turn in turns:
        if turn.text == t:
            return turn
    for turn in turns:
        if t.endswith(turn.text):
            return turn
    return turns[-1]


def token_due_s(turn: Turn, i: int) -> float:
    """Seconds after the LLM request at which token i (0-based) is emitted."""
    return turn.llm_ttft_ms / 1000.0 + i / turn.llm_tokens_per_s


class Tone:
    """The simulated TTS audio: a tone_hz sine at −12 dBFS (0.25 full scale), 16-bit mono at
    tts.sample_rate. One second of it is computed once (tone_hz rounded to whole Hz, so the
    second loops without a click); chunk n starts at sample n·chunk_samples of that loop,
    like the Swift SimulatedTTSStage."""

    def __init__(self, spec: TTSSpec):
        self.spec = spec
        sr = spec.sample_rate
        hz = float(round(spec.tone_hz))
        samples = bytearray(sr * 2)
        for i in range(sr):
            v = int(0.25 * 32767 * math.sin(2 * math.pi * hz * i / sr))
            samples[2 * i:2 * i + 2] = v.to_bytes(2, "little", signed=True)
        self._loop = bytes(samples) * 2  # two seconds: a chunk never needs to wrap twice
        self.chunk_samples = sr * spec.chunk_ms // 1000

    def total_chunks(self, text: str) -> int:
        """Chunks for a text: ms_per_char × characters of audio, in chunk_ms chunks (at least one)."""
        return max(1, int(math.floor(len(text) * self.spec.ms_per_char / self.spec.chunk_ms + 0.5)))

    def chunk(self, n: int) -> bytes:
        start = (n * self.chunk_samples) % self.spec.sample_rate
        return self._loop[2 * start:2 * (start + self.chunk_samples)]

    @staticmethod
    def chunk_due_s(turn: Turn, spec: TTSSpec, n: int) -> float:
        """Seconds after the TTS request at which chunk n (0-based) is ready."""
        return turn.tts_ttfb_ms / 1000.0 + n * spec.chunk_ms / 1000.0 / turn.tts_speed


async def sleep_until(deadline: float) -> None:
    """Sleeps until the monotonic clock reaches `deadline` (no drift: callers pass absolute times)."""
    delay = deadline - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


class SamplesHeard:
    """What a simulated STT has received: it counts samples (never the VAD), and reports each
    turn whose speech end is covered for the first time (PROTOCOL.md: the final transcript comes
    stt_final_after_ms after the audio up to speech_end_ms has been received)."""

    def __init__(self, turns: tuple[Turn, ...]):
        self._turns = sorted(turns, key=lambda t: t.speech_end_ms)
        self._next = 0
        self._received_ms = 0.0
        self._samples = 0

    def add(self, samples: int, sample_rate: int) -> list[Turn]:
        self._samples += samples
        self._received_ms = self._samples * 1000.0 / sample_rate
        done = []
        while self._next < len(self._turns) and self._received_ms + 1e-6 >= self._turns[self._next].speech_end_ms:
            done.append(self._turns[self._next])
            self._next += 1
        return done


# ---------------------------------------------------------------------------------------------
# Clock, feeder, what the output saw
# ---------------------------------------------------------------------------------------------


class Clock:
    """The runner's monotonic clock; t0 is the start of the input timeline (frame k is due at
    t0 + (k+1)·frame_ms). Record times are ms relative to t0."""

    def __init__(self) -> None:
        self.t0: Optional[float] = None

    def start(self, lead_s: float = 0.2) -> float:
        self.t0 = time.monotonic() + lead_s
        return self.t0

    def ms(self, t: Optional[float] = None) -> float:
        assert self.t0 is not None
        return ((time.monotonic() if t is None else t) - self.t0) * 1000.0


@dataclass
class Reply:
    """One agent reply as the output saw it."""

    turn: Optional[int]           # the scenario turn it answers (None: unknown)
    first_ms: float               # first frame at the output
    last_ms: float                # last frame at the output
    end_ms: float                 # when the last frame has played (last_ms + its duration)
    cut: bool = False             # the framework interrupted it while it played
    frames: int = 0


class Session:
    """One concurrent session: its input feeder state and what its output saw."""

    def __init__(self, index: int, scenario: Scenario, clock: Clock):
        self.index = index
        self.scenario = scenario
        self.clock = clock
        self.handover_ms: list[float] = []     # per input frame, when it was handed over
        self.frames_late = 0
        self.input_done = False
        self.replies: list[Reply] = []
        self.current: Optional[Reply] = None
        self.llm_turn: Optional[int] = None   # the turn the latest LLM request answers
        self.stt_heard = SamplesHeard(scenario.turns)
        self.turns_written: set[int] = set()

    # -- output side ---------------------------------------------------------------------------

    def output_frame(self, turn: Optional[int], duration_s: float, new_reply: bool = False,
                     t: Optional[float] = None) -> None:
        """An agent audio frame of `duration_s` reached the output at monotonic time `t`
        (default: now). `new_reply`: the framework says a new reply starts with this frame;
        `turn` is the scenario turn that reply answers."""
        now = self.clock.ms(t)
        if new_reply or self.current is None:
            self.current = Reply(turn=turn, first_ms=now, last_ms=now, end_ms=now)
            self.replies.append(self.current)
        self.current.last_ms = now
        self.current.end_ms = now + duration_s * 1000.0
        self.current.frames += 1

    def output_cut(self) -> None:
        """The framework interrupted the reply being played: its queued audio is dropped. The
        reply stays current, so audio the output had already taken (a frame in the device
        buffer) still counts as this reply's; the next reply starts with new_reply."""
        if self.current is not None:
            self.current.cut = True

    def output_ended(self) -> None:
        """The reply being played ended by itself."""
        self.current = None

    @property
    def last_output_ms(self) -> Optional[float]:
        return self.replies[-1].last_ms if self.replies else None

    # -- records -------------------------------------------------------------------------------

    def handed_over(self, frame: int) -> Optional[float]:
        return self.handover_ms[frame] if frame < len(self.handover_ms) else None

    def first_reply_to(self, turn: Turn) -> Optional[Reply]:
        for r in self.replies:
            if r.turn == turn.index:
                return r
        return None

    def turn_record(self, turn: Turn) -> Optional[dict]:
        """The `turn` record, once the turn's speech end has been handed over."""
        end = self.handed_over(self.scenario.frame_of_speech_end(turn))
        if end is None:
            return None
        reply = self.first_reply_to(turn)
        return {"type": "turn", "session": self.index, "turn": turn.index, "speech_end_ms": round(end, 1),
                "first_audio_ms": round(reply.first_ms, 1) if reply else None}

    def interruption_record(self, turn: Turn) -> Optional[dict]:
        """The `interruption` record of a barge-in turn, once its trigger frame was handed over.
        The interrupted reply is the one playing when the frame holding speech_start_ms was
        handed over; stop_ms is when its last frame reached the output (null: none playing)."""
        trigger = self.handed_over(self.scenario.frame_of_ms(turn.speech_start_ms + self.scenario.interruption_min_ms))
        if trigger is None:
            return None
        start = self.handed_over(self.scenario.frame_of_ms(turn.speech_start_ms))
        assert start is not None
        playing = [r for r in self.replies if r.first_ms <= start < r.end_ms]
        return {"type": "interruption", "session": self.index, "turn": turn.index,
                "trigger_ms": round(trigger, 1), "stop_ms": round(playing[-1].last_ms, 1) if playing else None}

    def finished(self) -> bool:
        """The input is over, the last turn has had its reply and the output has been quiet for a
        second: the run may stop feeding silence (feed_input stops 20 s after the input anyway)."""
        if not self.input_done:
            return False
        now = self.clock.ms()
        last = self.scenario.turns[-1]
        quiet = self.last_output_ms is None or now - self.last_output_ms > 1000
        return quiet and self.first_reply_to(last) is not None


async def feed_input(session: Session, deliver: Callable[[bytes], Any], stop: asyncio.Event,
                     max_extra_s: float = 20.0) -> None:
    """Hands the scenario's input to the framework in real time: frame k at t0 + (k+1)·frame_ms
    (absolute deadlines, so sleep jitter never accumulates), then silence until the session is
    finished (at most `max_extra_s`). A frame handed over more than one frame late counts in
    frames_late. `deliver` may be sync or async."""
    sc = session.scenario
    clock = session.clock
    assert clock.t0 is not None
    frame_s = sc.frame_ms / 1000.0
    silence = bytes(sc.frame_bytes)
    total = sc.frame_count
    extra = int(max_extra_s / frame_s)
    k = 0
    while not stop.is_set():
        if k >= total:
            session.input_done = True
            if session.finished() or k >= total + extra:
                return
        due = clock.t0 + (k + 1) * frame_s
        await sleep_until(due)
        if k < total:
            pcm = sc.pcm[k * sc.frame_bytes:(k + 1) * sc.frame_bytes]
            if len(pcm) < sc.frame_bytes:
                pcm = pcm + silence[len(pcm):]
        else:
            pcm = silence
        now = time.monotonic()
        if now - due > frame_s:
            session.frames_late += 1
            if DEBUG:
                sys.stderr.write(f"bench: session {session.index} frame {k} handed over {1000 * (now - due):.0f} ms late\n")
        session.handover_ms.append(clock.ms(now))
        result = deliver(pcm)
        if asyncio.iscoroutine(result):
            await result
        k += 1


# ---------------------------------------------------------------------------------------------
# Records and resources
# ---------------------------------------------------------------------------------------------


class RecordWriter:
    """JSON lines to a file (or stdout for "-"), flushed per line."""

    def __init__(self, path: str):
        self._f = sys.stdout if path == "-" else open(path, "w", encoding="utf-8")

    def write(self, record: dict) -> None:
        self._f.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._f.flush()

    def close(self) -> None:
        if self._f is not sys.stdout:
            self._f.close()


def rss_mb() -> float:
    if psutil is not None:
        return psutil.Process().memory_info().rss / 1e6
    return peak_rss_mb()


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def cpu_s() -> float:
    if psutil is not None:
        t = psutil.Process().cpu_times()
        return t.user + t.system
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Resources:
    """CPU (user + system) and wall seconds from t0 to the end of the run, peak RSS of the
    process. RSS per session: (peak RSS − RSS before the sessions were built) / sessions, only
    for more than one session."""

    def __init__(self) -> None:
        self.rss_before_sessions = rss_mb()
        self.cpu_start = cpu_s()
        self.wall_start = time.monotonic()
        self.setup_cpu_s = 0.0

    def mark_start(self) -> None:
        """Call at t0: setup (imports, model loading, pipeline building) is excluded."""
        now_cpu = cpu_s()
        self.setup_cpu_s = now_cpu - self.cpu_start
        self.cpu_start = now_cpu
        self.wall_start = time.monotonic()

    def record(self, sessions: int) -> dict:
        peak = peak_rss_mb()
        per = round((peak - self.rss_before_sessions) / sessions, 1) if sessions > 1 else None
        return {"type": "resources", "sessions": sessions, "cpu_s": round(cpu_s() - self.cpu_start, 3),
                "wall_s": round(time.monotonic() - self.wall_start, 3), "rss_mb": round(peak, 1),
                "rss_mb_per_session": per}


# ---------------------------------------------------------------------------------------------
# The run: arguments, records, SIGINT
# ---------------------------------------------------------------------------------------------


def parse_args(description: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--scenario", required=True, help="resolved scenario JSON (PROTOCOL.md)")
    p.add_argument("--variant", required=True, choices=["defaults", "tuned"])
    p.add_argument("--out", required=True, help="raw records (JSON lines); - for stdout")
    p.add_argument("--sessions", type=int, default=1, help="concurrent sessions in this process (default 1)")
    args = p.parse_args()
    if args.sessions < 1:
        p.error("--sessions must be at least 1")
    _early_sigint(args.out)
    return args


def _early_sigint(out: str) -> None:
    """Until the run installs its own handler (Run.install_sigint), Ctrl-C while the frameworks
    import and build still ends the stream properly: a run_end line, exit 130."""

    def handler(signum, frame):
        line = json.dumps({"type": "run_end", "frames_late": 0}, separators=(",", ":")) + "\n"
        try:
            if out == "-":
                sys.stdout.write(line)
                sys.stdout.flush()
            else:
                with open(out, "a", encoding="utf-8") as f:
                    f.write(line)
        finally:
            os._exit(130)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def fail(message: str, code: int = 2) -> None:
    """One clear error line on stderr, then exit."""
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
    sys.exit(code)


def load_or_exit(path: str) -> Scenario:
    try:
        return load_scenario(path)
    except ScenarioError as e:
        fail(f"bad scenario: {e}")
        raise  # unreachable


class Run:
    """A runner's run: writes run_start, the per-turn records as they become known, and at the end
    (or on SIGINT) the remaining turn / interruption records, resources and run_end."""

    def __init__(self, scenario: Scenario, writer: RecordWriter, sessions: int):
        self.scenario = scenario
        self.writer = writer
        self.clock = Clock()
        self.resources = Resources()
        self.sessions = [Session(i, scenario, self.clock) for i in range(sessions)]
        self.stop = asyncio.Event()
        self.interrupted = False
        self._finished = False

    def start_record(self, framework: str, variant: str, version: str, endpointing_ms: float,
                     settings: dict[str, Any]) -> None:
        settings = {k: str(v) for k, v in settings.items()}  # Parley decodes settings as [String: String]
        if self.scenario.pacing != "realtime":
            settings["pacing"] = f"{self.scenario.pacing} requested; frameworks run in real time only"
        self.writer.write({"type": "run_start", "framework": framework, "variant": variant, "version": version,
                           "endpointing_ms": endpointing_ms, "settings": settings, "pid": os.getpid()})

    def install_sigint(self) -> None:
        loop = asyncio.get_running_loop()

        def on_sigint() -> None:
            self.interrupted = True
            self.stop.set()

        loop.add_signal_handler(signal.SIGINT, on_sigint)
        loop.add_signal_handler(signal.SIGTERM, on_sigint)

    async def watch_turns(self) -> None:
        """Writes each turn record as soon as its reply's first audio is known."""
        while not self.stop.is_set():
            for s in self.sessions:
                for t in self.scenario.turns:
                    if t.barge_in or t.index in s.turns_written:
                        continue
                    if s.first_reply_to(t) is not None:
                        rec = s.turn_record(t)
                        if rec is not None:
                            self.writer.write(rec)
                            s.turns_written.add(t.index)
            try:
                await asyncio.wait_for(self.stop.wait(), 0.25)
            except asyncio.TimeoutError:
                pass

    async def feed_until_done(self, delivers: list[Callable[[bytes], Any]]) -> int:
        """Starts the clock, feeds every session's input (deliver[i] hands a frame to session i's
        framework input) while the turn watcher writes records, until the input is over or a stop
        (SIGINT) comes; then writes the rest. Returns the exit code."""
        self.clock.start()
        self.resources.mark_start()
        feeders = [asyncio.create_task(feed_input(s, deliver, self.stop)) for s, deliver in zip(self.sessions, delivers)]
        watcher = asyncio.create_task(self.watch_turns())
        await asyncio.wait([asyncio.ensure_future(asyncio.gather(*feeders)), asyncio.ensure_future(self.stop.wait())],
                           return_when=asyncio.FIRST_COMPLETED)
        self.stop.set()
        await asyncio.gather(*feeders, watcher, return_exceptions=True)
        return self.finish()

    def finish(self) -> int:
        """Writes what is left; returns the exit code (130 after SIGINT, else 0)."""
        if self._finished:
            return 130 if self.interrupted else 0
        self._finished = True
        if DEBUG:
            for s in self.sessions:
                for r in s.replies:
                    sys.stderr.write(f"bench: session {s.index} reply turn={r.turn} first={r.first_ms:.0f} "
                                     f"last={r.last_ms:.0f} cut={r.cut} frames={r.frames}\n")
        for s in self.sessions:
            for t in self.scenario.turns:
                if t.barge_in:
                    rec = s.interruption_record(t)
                elif t.index not in s.turns_written:
                    rec = s.turn_record(t)
                    s.turns_written.add(t.index)
                else:
                    continue
                if rec is not None:
                    self.writer.write(rec)
        self.writer.write(self.resources.record(len(self.sessions)))
        self.writer.write({"type": "run_end", "frames_late": sum(s.frames_late for s in self.sessions)})
        self.writer.close()
        return 130 if self.interrupted else 0
