# SPDX-License-Identifier: Apache-2.0
"""livekit-agents runner for `parley bench compare` (Benchmarks/Compare/PROTOCOL.md).

    python livekit_agents_runner.py --scenario resolved.json --variant defaults|tuned --out records.jsonl [--sessions N]

Runs livekit-agents' real AgentSession (Silero VAD from livekit-plugins-silero, its turn
detection and endpointing, preemptive generation, interruption handling with false-interruption
pause/resume, the TTS sentence tokenizer) WITHOUT a LiveKit room, worker or server: the session's
audio input and output are set to our own io.AudioInput / io.AudioOutput, the way its console
mode does it. STT / LLM / TTS are simulated providers written against livekit-agents' public
base classes (stt.STT + RecognizeStream, llm.LLM + LLMStream, tts.TTS + ChunkedStream).

livekit-agents normally runs each job in its own process, so the `resources` record of a
1-session run is what one job costs; N sessions here are N AgentSessions in one process.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import sys
import time
from importlib.metadata import version as package_version

sys.dont_write_bytecode = True  # no __pycache__ next to the runners in the repo
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Session, Tone, find_turn, sleep_until, token_due_s  # noqa: E402

ARGS = common.parse_args("Run a resolved bench scenario through livekit-agents (no room).")
SCENARIO = common.load_or_exit(ARGS.scenario)

# Production-mode defaults, everything local: in dev/console mode (LIVEKIT_DEV_MODE=1) or on
# LiveKit Cloud (LIVEKIT_REMOTE_EOT_URL) the default turn detector and adaptive interruption
# would call LiveKit's inference gateway. Nothing may be downloaded from Hugging Face either.
os.environ.pop("LIVEKIT_DEV_MODE", None)
os.environ.pop("LIVEKIT_REMOTE_EOT_URL", None)
os.environ["HF_HUB_OFFLINE"] = "1"

logging.basicConfig(stream=sys.stderr, level=getattr(logging, os.environ.get("BENCH_LOG_LEVEL", "WARNING")),
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")

from livekit import rtc  # noqa: E402
from livekit.agents import (  # noqa: E402
    DEFAULT_API_CONNECT_OPTIONS,
    NOT_GIVEN,
    Agent,
    AgentSession,
    APIConnectOptions,
    TurnHandlingOptions,
    llm,
    stt,
    tokenize,
    tts,
    utils,
)
from livekit.agents.voice import io  # noqa: E402
from livekit.plugins import silero  # noqa: E402

# rtc.AudioFrame.userdata key: which scenario turn a reply's audio answers (set in tts_node).
BENCH_TURN = "bench_turn"
INSTRUCTIONS = "You are a helpful voice AI assistant."  # the quick start's agent


def reply_turn(session: Session, text: str) -> common.Turn:
    """The turn whose reply this agent text belongs to: the one whose reply contains it,
    preferring the turn the latest LLM request answered."""
    t = text.strip()
    turns = SCENARIO.turns
    matches = [turn for turn in turns if t and t in turn.reply]
    for turn in matches:
        if turn.index == session.llm_turn:
            return turn
    if matches:
        return matches[0]
    latest = [turn for turn in turns if turn.index == session.llm_turn]
    return latest[0] if latest else turns[-1]


class SimulatedProviderNames:
    """model / provider as livekit's metrics and logs show them, for the three simulated providers."""

    @property
    def model(self) -> str:
        return "simulated"

    @property
    def provider(self) -> str:
        return "parley-bench"


# =============================================================================================
# Simulated STT — livekit.agents.stt.STT (streaming) + stt.RecognizeStream
# =============================================================================================
class BenchSTT(SimulatedProviderNames, stt.STT):
    """A streaming STT provider. AgentSession pushes every input frame into the stream returned
    by stream(); RecognizeStream._run counts the samples (never the VAD) and, once the audio up
    to a turn's speech_end_ms is in, emits that turn's text as one FINAL_TRANSCRIPT
    stt_final_after_ms later. No interim transcripts."""

    def __init__(self, session: Session):
        super().__init__(capabilities=stt.STTCapabilities(streaming=True, interim_results=False,
                                                          offline_recognize=False))
        self.session = session

    async def _recognize_impl(self, buffer, *, language=NOT_GIVEN, conn_options: APIConnectOptions):
        raise NotImplementedError("the simulated STT only streams")

    def stream(self, *, language=NOT_GIVEN, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS):
        return BenchRecognizeStream(stt=self, conn_options=conn_options)


class BenchRecognizeStream(stt.RecognizeStream):
    async def _run(self) -> None:
        heard = self._stt.session.stt_heard
        pending: set[asyncio.Task] = set()
        try:
            async for item in self._input_ch:
                if isinstance(item, self._FlushSentinel):
                    continue
                now = time.monotonic()
                for turn in heard.add(item.samples_per_channel, item.sample_rate):
                    task = asyncio.create_task(self._final(turn, now + turn.stt_final_after_ms / 1000.0))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
        finally:
            await utils.aio.cancel_and_wait(*pending)

    async def _final(self, turn: common.Turn, due: float) -> None:
        await sleep_until(due)
        self._event_ch.send_nowait(stt.SpeechEvent(
            type=stt.SpeechEventType.FINAL_TRANSCRIPT, request_id=f"turn-{turn.index}",
            alternatives=[stt.SpeechData(language="en", text=turn.text, confidence=1.0)]))


# =============================================================================================
# Simulated LLM — livekit.agents.llm.LLM + llm.LLMStream
# =============================================================================================
class BenchLLM(SimulatedProviderNames, llm.LLM):
    """A streaming chat model: chat() returns an LLMStream whose _run streams the reply of the
    scenario turn found from the last user message (PROTOCOL.md) as ChatChunk deltas, the first
    llm_ttft_ms after the request, then one every 1/llm_tokens_per_s. AgentSession cancels the
    stream when the reply is interrupted or a preemptive generation is discarded."""

    def __init__(self, session: Session):
        super().__init__()
        self.session = session

    def chat(self, *, chat_ctx: llm.ChatContext, tools=None, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
             parallel_tool_calls=NOT_GIVEN, tool_choice=NOT_GIVEN, extra_kwargs=NOT_GIVEN) -> llm.LLMStream:
        return BenchLLMStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


class BenchLLMStream(llm.LLMStream):
    async def _run(self) -> None:
        requested = time.monotonic()
        session: Session = self._llm.session
        user = ""
        for message in reversed(self._chat_ctx.messages()):
            if message.role == "user":
                user = message.text_content or ""
                break
        turn = find_turn(SCENARIO.turns, user)
        session.llm_turn = turn.index
        request_id = utils.shortuuid()
        for i, token in enumerate(turn.tokens):
            await sleep_until(requested + token_due_s(turn, i))
            self._event_ch.send_nowait(llm.ChatChunk(id=request_id, delta=llm.ChoiceDelta(role="assistant", content=token)))


# =============================================================================================
# Simulated TTS — livekit.agents.tts.TTS (non-streaming) + tts.ChunkedStream
# =============================================================================================
class BenchTTS(SimulatedProviderNames, tts.TTS):
    """An HTTP-style TTS provider: synthesize(text) returns a ChunkedStream that pushes the tone
    as raw PCM through the AudioEmitter: first chunk tts_ttfb_ms after the request, then one
    every chunk_ms / tts_speed, ms_per_char × len(text) in all. It does not stream text in, so
    AgentSession wraps it in tts.StreamAdapter with its sentence tokenizer (the same blingfire
    tokenizer its streaming inference TTS uses), or we pass a tuned StreamAdapter ourselves."""

    def __init__(self, session: Session, tone: Tone):
        super().__init__(capabilities=tts.TTSCapabilities(streaming=False), sample_rate=tone.spec.sample_rate,
                         num_channels=1)
        self.session = session
        self.tone = tone

    def synthesize(self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS) -> tts.ChunkedStream:
        return BenchChunkedStream(tts=self, input_text=text, conn_options=conn_options)


class BenchChunkedStream(tts.ChunkedStream):
    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        requested = time.monotonic()
        bench: BenchTTS = self._tts
        tone, spec = bench.tone, bench.tone.spec
        turn = reply_turn(bench.session, self.input_text)
        output_emitter.initialize(request_id=utils.shortuuid(), sample_rate=spec.sample_rate, num_channels=1,
                                  mime_type="audio/pcm")
        for n in range(tone.total_chunks(self.input_text)):
            await sleep_until(requested + Tone.chunk_due_s(turn, spec, n))
            output_emitter.push(tone.chunk(n))
        output_emitter.flush()


# =============================================================================================
# The agent: the quick start's Agent, with tts_node observed to tag its audio
# =============================================================================================
class BenchAgent(Agent):
    """Agent(instructions=...) as in the quick start. tts_node (a documented pipeline node)
    delegates to Agent.default.tts_node unchanged and only labels each audio frame with the
    scenario turn its text answers, so the output can tell replies apart."""

    def __init__(self, session: Session):
        super().__init__(instructions=INSTRUCTIONS)
        self._bench = session

    async def tts_node(self, text, model_settings):
        seen: list[str] = []

        async def observed():
            async for chunk in text:
                seen.append(str(chunk))
                yield chunk

        turn: int | None = None
        async for frame in Agent.default.tts_node(self, observed(), model_settings):
            if turn is None:
                turn = reply_turn(self._bench, "".join(seen)).index
            frame.userdata[BENCH_TURN] = turn
            yield frame


# =============================================================================================
# Fake I/O: real-time input, real-time timestamped output
# =============================================================================================
class BenchAudioInput(io.AudioInput):
    """The user's microphone: the feeder hands each 20 ms frame over at its real-time deadline;
    AgentSession's input task reads them with __anext__ (as it reads the console's or a room
    track's frames)."""

    def __init__(self, sample_rate: int):
        super().__init__(label="BenchInput")
        self._rate = sample_rate
        self._queue: asyncio.Queue[rtc.AudioFrame] = asyncio.Queue()

    def deliver(self, pcm: bytes) -> None:
        self._queue.put_nowait(rtc.AudioFrame(data=pcm, sample_rate=self._rate, num_channels=1,
                                              samples_per_channel=len(pcm) // 2))

    async def __anext__(self) -> rtc.AudioFrame:
        return await self._queue.get()


class BenchAudioOutput(io.AudioOutput):
    """The agent's speaker, modelled on the room output (_ParticipantAudioOutput): capture_frame
    may be called faster than real time; a playout task plays the queued frames on a drift-free
    real-time clock (each frame's time at the output is when it starts playing, i.e. when a
    WebRTC track or a sound card would take it). Segments end with flush(); clear_buffer()
    drops what has not played (an interruption); pause() / resume() hold and continue playout
    (livekit's false-interruption handling). Playback started / finished events are reported as
    the framework expects from a sink."""

    def __init__(self, session: Session, sample_rate: int):
        super().__init__(label="BenchOutput", capabilities=io.AudioOutputCapabilities(pause=True),
                         next_in_chain=None, sample_rate=sample_rate)
        self._bench = session
        self._queue: collections.deque[rtc.AudioFrame] = collections.deque()
        self._wake = asyncio.Event()
        self._playing = asyncio.Event()
        self._playing.set()
        self._capturing = False
        self._segment: dict | None = None   # pushed, played, flushed, cut, turn, started
        self._play_end = 0.0
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._playout())

    async def aclose(self) -> None:
        if self._task is not None:
            await utils.aio.cancel_and_wait(self._task)

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if not self._capturing:
            self._capturing = True
            self._segment = {"pushed": 0.0, "played": 0.0, "flushed": False, "cut": False, "started": False,
                             "turn": frame.userdata.get(BENCH_TURN)}
        seg = self._segment
        if seg["cut"]:
            return  # frames after clear_buffer() and before flush() never play
        self._queue.append(frame)
        seg["pushed"] += frame.duration
        self._wake.set()

    def flush(self) -> None:
        super().flush()
        self._capturing = False
        seg = self._segment
        if seg is None or seg["flushed"]:
            return
        seg["flushed"] = True
        if seg["cut"]:
            self._finish(interrupted=True)
        self._wake.set()

    def clear_buffer(self) -> None:
        self._queue.clear()
        seg = self._segment
        if seg is None or seg["cut"]:
            return
        seg["cut"] = True
        if seg["started"]:
            self._bench.output_cut()
        if seg["flushed"]:
            self._finish(interrupted=True)
        self._wake.set()

    def pause(self) -> None:
        super().pause()
        self._playing.clear()

    def resume(self) -> None:
        super().resume()
        self._playing.set()

    def _finish(self, *, interrupted: bool) -> None:
        seg, self._segment = self._segment, None
        if seg is None:
            return
        if not interrupted:
            self._bench.output_ended()
        self.on_playback_finished(playback_position=seg["played"], interrupted=interrupted)

    async def _playout(self) -> None:
        while True:
            seg = self._segment
            if not self._queue:
                if seg is not None and seg["flushed"] and not seg["cut"]:
                    await sleep_until(self._play_end)  # the last frame plays out
                    if self._segment is seg and not self._queue and not seg["cut"]:
                        self._finish(interrupted=False)
                    continue
                self._wake.clear()
                await self._wake.wait()
                continue
            if not self._playing.is_set():
                await self._playing.wait()
                continue
            now = time.monotonic()
            if now > self._play_end + 0.005:   # ran dry: playout restarts now
                self._play_end = now
            if self._play_end > now:
                await sleep_until(self._play_end)
                continue                        # re-check: paused or cleared meanwhile?
            frame = self._queue.popleft()
            assert seg is not None
            at = self._play_end
            if not seg["started"]:
                seg["started"] = True
                self.on_playback_started(created_at=time.time())
            self._bench.output_frame(seg["turn"], frame.duration, new_reply=seg["played"] == 0.0, t=at)
            seg["played"] += frame.duration
            self._play_end = at + frame.duration


# =============================================================================================
# Variants
# =============================================================================================
def variant_options(variant: str) -> dict:
    """What the variant passes to AgentSession (and the tuned TTS tokenizer)."""
    sc = SCENARIO
    if variant == "defaults":
        # The quick start: AgentSession(stt=…, llm=…, tts=…, vad=silero.VAD.load(),
        # turn_handling=TurnHandlingOptions(turn_detection=MultilingualModel())). The
        # MultilingualModel (livekit-plugins-turn-detector) downloads its model from Hugging Face
        # at run time, which we may not do, so turn_detection is left to AgentSession's default:
        # inference.TurnDetector(), the audio end-of-turn model "turn-detector-v1-mini" bundled in
        # the livekit-local-inference wheel (runs locally, nothing downloaded). Endpointing,
        # interruption and preemptive generation are the framework's defaults.
        return {"vad": silero.VAD.load(), "turn_handling": NOT_GIVEN, "tokenizer": None}
    # Fastest honest settings for this scenario: VAD silence window and min endpointing delay
    # both at the scenario's endpointing_ms; turn_detection="vad" (no end-of-turn model that
    # may hold the turn up to max_delay); interruptions after interruption_min_ms of speech;
    # preemptive generation with preemptive TTS (the reply is prepared from the final
    # transcript and only played once the turn is committed); the sentence tokenizer emits each
    # sentence as soon as it is complete (no merging of short sentences, no context wait).
    ep_s = sc.endpointing_ms / 1000.0
    return {
        "vad": silero.VAD.load(min_silence_duration=ep_s),
        "turn_handling": TurnHandlingOptions(
            turn_detection="vad",
            endpointing={"mode": "fixed", "min_delay": ep_s},
            interruption={"min_duration": sc.interruption_min_ms / 1000.0},
            preemptive_generation={"enabled": True, "preemptive_tts": True},
        ),
        "tokenizer": tokenize.blingfire.SentenceTokenizer(retain_format=True, min_sentence_len=1,
                                                          stream_context_len=1),
    }


def describe(agent_session: AgentSession, options: dict) -> tuple[float, dict]:
    """endpointing_ms and settings, read back from the running session (AgentSession.options)."""
    opts = agent_session.options
    ep, intr, pre = opts.endpointing, opts.interruption, opts.preemptive_generation
    detector = agent_session.turn_detection
    vad = options["vad"]
    # livekit counts min_delay from the last speech (not from the VAD's end of speech), so the
    # silence it waits for is the larger of the VAD's min silence and min_delay, not their sum.
    endpointing = max(vad.min_silence_duration, ep["min_delay"]) * 1000
    if isinstance(detector, str):
        detection = detector
    else:
        detection = (f"{type(detector).__module__}.{type(detector).__name__} model={getattr(detector, 'model', '?')} "
                     f"(AgentSession default; runs locally from the livekit-local-inference wheel). The quick start's "
                     f"MultilingualModel is not used: it downloads its model at run time")
    tokenizer = ("StreamAdapter + blingfire SentenceTokenizer(min_sentence_len=1, stream_context_len=1)"
                 if options["tokenizer"] is not None else
                 "StreamAdapter + blingfire SentenceTokenizer defaults (min_sentence_len=20, stream_context_len=10)")
    settings = {
        "vad": f"silero (livekit-plugins-silero) min_speech={vad._opts.min_speech_duration}s "
               f"min_silence={vad.min_silence_duration}s activation={vad._opts.activation_threshold}",
        "turn_detection": detection,
        "endpointing": f"{ep['mode']} min_delay={ep['min_delay']}s max_delay={ep['max_delay']}s (max_delay only when "
                       f"an end-of-turn model says unlikely); counted from the last speech: "
                       f"max(VAD min_silence, min_delay) = {endpointing:.0f} ms",
        "interruption": f"vad (adaptive needs LiveKit Cloud) min_duration={intr['min_duration']}s "
                        f"resume_false_interruption={intr['resume_false_interruption']} "
                        f"false_interruption_timeout={intr['false_interruption_timeout']}s (pauses audio, cuts on the "
                        f"transcript)",
        "preemptive_generation": f"enabled={pre['enabled']} preemptive_tts={pre['preemptive_tts']}",
        "tts_tokenizer": tokenizer,
        "aec_warmup": f"{opts.aec_warmup_duration}s at the first agent speech (interruptions off, STT fed silence)",
        "io": "AgentSession without a room: custom io.AudioInput / io.AudioOutput (as console mode), no worker",
        "output": "real-time playout clock, frames timed when they start playing; pause/resume/clear like the "
                  "room output",
        "stt": "streaming, one FINAL_TRANSCRIPT per utterance, no interims",
        "tts": "non-streaming provider (ChunkedStream) behind tts.StreamAdapter, sentences synthesized in order",
        "sessions": f"{ARGS.sessions} AgentSession(s) in one process sharing one Silero model; livekit runs one job "
                    f"per process, so a 1-session run's resources are one job's cost",
        "resources": "cpu/wall from t0 to the end of the run; rss = peak of the process",
    }
    return endpointing, settings


async def start_session(session: Session, options: dict, tone: Tone) -> tuple[AgentSession, BenchAudioInput, BenchAudioOutput]:
    tts_engine: tts.TTS = BenchTTS(session, tone)
    if options["tokenizer"] is not None:
        tts_engine = tts.StreamAdapter(tts=tts_engine, sentence_tokenizer=options["tokenizer"])
    agent_session = AgentSession(stt=BenchSTT(session), llm=BenchLLM(session), tts=tts_engine, vad=options["vad"],
                                 turn_handling=options["turn_handling"])
    audio_in = BenchAudioInput(SCENARIO.sample_rate)
    audio_out = BenchAudioOutput(session, tone.spec.sample_rate)
    audio_out.start()
    agent_session.input.audio = audio_in
    agent_session.output.audio = audio_out
    await agent_session.start(agent=BenchAgent(session))
    return agent_session, audio_in, audio_out


async def main() -> int:
    writer = common.RecordWriter(ARGS.out)
    run = common.Run(SCENARIO, writer, ARGS.sessions)
    run.install_sigint()
    options = variant_options(ARGS.variant)
    tone = Tone(SCENARIO.tts)
    started: list[tuple[AgentSession, BenchAudioInput, BenchAudioOutput]] = []
    code = 1
    try:
        for s in run.sessions:
            started.append(await start_session(s, options, tone))
        endpointing, settings = describe(started[0][0], options)
        run.start_record("livekit-agents", ARGS.variant, package_version("livekit-agents"), endpointing, settings)
        if run.stop.is_set():
            return run.finish()
        code = await run.feed_until_done([audio_in.deliver for _, audio_in, _ in started])
    finally:
        for agent_session, _, audio_out in started:
            try:
                await asyncio.wait_for(agent_session.aclose(), 10)
            except (asyncio.TimeoutError, Exception):
                pass
            await audio_out.aclose()
    return code


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
