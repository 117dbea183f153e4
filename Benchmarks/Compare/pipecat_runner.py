# SPDX-License-Identifier: Apache-2.0
"""pipecat runner for `parley bench compare` (Benchmarks/Compare/PROTOCOL.md).

    python pipecat_runner.py --scenario resolved.json --variant defaults|tuned --out records.jsonl [--sessions N]

Builds pipecat's quick-start pipeline (`pipecat init` cascade template):

    input transport → STT → user aggregator (Silero VAD + turn strategies) → LLM → TTS
                    → output transport → assistant aggregator

with pipecat's real Silero VAD, user-turn strategies, aggregators and interruption handling,
and simulated STT / LLM / TTS written against pipecat's public service base classes. The input
transport feeds the scenario WAV in real time; the output transport timestamps every agent
audio frame as it is played out. N sessions are N pipelines (PipelineWorkers) on one
WorkerRunner in this process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
import time
from importlib.metadata import version as package_version

sys.dont_write_bytecode = True  # no __pycache__ next to the runners in the repo
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Session, Tone, find_turn, sleep_until, token_due_s  # noqa: E402

ARGS = common.parse_args("Run a resolved bench scenario through pipecat.")
SCENARIO = common.load_or_exit(ARGS.scenario)
os.environ["HF_HUB_OFFLINE"] = "1"  # every model used is in the wheel; never download one

from loguru import logger  # noqa: E402

logger.remove()
logger.add(sys.stderr, level=os.environ.get("BENCH_LOG_LEVEL", "WARNING"))

from pipecat.audio.vad.silero import SileroVADAnalyzer  # noqa: E402
from pipecat.audio.vad.vad_analyzer import VADParams  # noqa: E402
from pipecat.audio.turn.smart_turn.base_smart_turn import SmartTurnParams  # noqa: E402
from pipecat.frames.frames import (  # noqa: E402
    InputAudioRawFrame,
    InterruptionFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    OutputAudioRawFrame,
    StartFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSStoppedFrame,
)
from pipecat.pipeline.pipeline import Pipeline  # noqa: E402
from pipecat.pipeline.worker import PipelineParams, PipelineWorker  # noqa: E402
from pipecat.processors.aggregators.llm_context import LLMContext  # noqa: E402
from pipecat.processors.aggregators.llm_response_universal import (  # noqa: E402
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.processors.frame_processor import FrameDirection  # noqa: E402
from pipecat.services.llm_service import LLMService  # noqa: E402
from pipecat.services.settings import LLMSettings, STTSettings, TTSSettings  # noqa: E402
from pipecat.services.stt_service import STTService  # noqa: E402
from pipecat.services.tts_service import TextAggregationMode, TTSService  # noqa: E402
from pipecat.transports.base_input import BaseInputTransport  # noqa: E402
from pipecat.transports.base_output import BaseOutputTransport  # noqa: E402
from pipecat.transports.base_transport import BaseTransport, TransportParams  # noqa: E402
from pipecat.turns.user_start import VADUserTurnStartStrategy, TranscriptionUserTurnStartStrategy  # noqa: E402
from pipecat.turns.user_stop import SpeechTimeoutUserTurnStopStrategy  # noqa: E402
from pipecat.turns.user_turn_strategies import UserTurnStrategies  # noqa: E402
from pipecat.utils.time import time_now_iso8601  # noqa: E402
from pipecat.workers.runner import WorkerRunner  # noqa: E402

# Metadata key on LLMFullResponseStartFrame: which scenario turn the reply answers. The frame
# travels LLM → TTS → output transport in order with the reply's audio, so the output knows
# which reply each audio frame belongs to.
BENCH_TURN = "bench_turn"


def service_settings(cls, **given):
    """A settings object with every field set (None where a simulated provider has no such
    knob), as pipecat asks of a service's __init__."""
    values = {f.name: None for f in dataclasses.fields(cls) if f.name != "extra"}
    values.update(given)
    return cls(**values)


# =============================================================================================
# Simulated STT — pipecat.services.stt_service.STTService
# =============================================================================================
class BenchSTT(STTService):
    """A streaming STT provider. STTService hands every input audio frame to run_stt(); we count
    the samples (never the VAD) and, once the audio up to a turn's speech_end_ms is in, push
    that turn's text as one final transcript stt_final_after_ms later. The transcript is marked
    finalized: the simulated provider sends nothing more for that utterance (what pipecat's
    streaming services signal with request_finalize/confirm_finalize). ttfs_p99_latency (the
    turn strategies' STT safety net) is the scenario's slowest STT final, as a service
    measured on this provider would report."""

    def __init__(self, session: Session, **kwargs):
        worst = max(t.stt_final_after_ms for t in session.scenario.turns) / 1000.0
        super().__init__(ttfs_p99_latency=worst, settings=service_settings(STTSettings, model="simulated"), **kwargs)
        self._session = session

    async def run_stt(self, audio: bytes):
        now = time.monotonic()
        for turn in self._session.stt_heard.add(len(audio) // 2, self.sample_rate):
            self.create_task(self._final(turn, now + turn.stt_final_after_ms / 1000.0), f"stt-final-{turn.index}")
        yield None

    async def _final(self, turn: common.Turn, due: float) -> None:
        await sleep_until(due)
        await self.push_frame(TranscriptionFrame(turn.text, "user", time_now_iso8601(), finalized=True))


# =============================================================================================
# Simulated LLM — pipecat.services.llm_service.LLMService
# =============================================================================================
class BenchLLM(LLMService):
    """A streaming chat model. Like pipecat's OpenAI-compatible services it answers each
    LLMContextFrame with LLMFullResponseStartFrame, one LLMTextFrame per token (through
    LLMService._push_llm_text) and LLMFullResponseEndFrame. The reply is the scenario turn found
    from the last user message (PROTOCOL.md), its first token llm_ttft_ms after the request,
    then one every 1/llm_tokens_per_s. The generation runs in process_frame, so pipecat's
    interruption handling cancels it as it cancels a real completion."""

    def __init__(self, session: Session, **kwargs):
        settings = service_settings(LLMSettings, model="simulated", filter_incomplete_user_turns=False)
        super().__init__(settings=settings, **kwargs)
        self._session = session

    async def process_frame(self, frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            await self._complete(frame.context)
        else:
            await self.push_frame(frame, direction)

    async def _complete(self, context: LLMContext) -> None:
        requested = time.monotonic()
        turn = find_turn(self._session.scenario.turns, last_user_text(context))
        self._session.llm_turn = turn.index
        start = LLMFullResponseStartFrame()
        start.metadata[BENCH_TURN] = turn.index
        await self.push_frame(start)
        try:
            for i, token in enumerate(turn.tokens):
                await sleep_until(requested + token_due_s(turn, i))
                await self._push_llm_text(token)
        finally:
            await self.push_frame(LLMFullResponseEndFrame())


def last_user_text(context: LLMContext) -> str:
    for m in reversed(context.get_messages()):
        if isinstance(m, dict) and m.get("role") == "user":
            content = m.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


# =============================================================================================
# Simulated TTS — pipecat.services.tts_service.TTSService
# =============================================================================================
class BenchTTS(TTSService):
    """A streaming (WebSocket-style) TTS provider, shaped like pipecat's CartesiaTTSService (the
    quick-start TTS): run_tts() sends the text and returns at once (yields None); the audio
    comes back on a receive task that appends it to the turn's audio context, and after the
    turn is flushed (flush_audio, called by TTSService at the end of the LLM reply) the context
    ends with TTSStoppedFrame. For each text: first chunk tts_ttfb_ms after the request, then
    a chunk every chunk_ms / tts_speed, ms_per_char × len(text) of tone in all; texts of one
    turn play in order. Text aggregation (sentence / token) is TTSService's own."""

    def __init__(self, session: Session, tone: Tone, **kwargs):
        super().__init__(push_start_frame=True, sample_rate=tone.spec.sample_rate,
                         settings=service_settings(TTSSettings, model="simulated"), **kwargs)
        self._session = session
        self._tone = tone
        self._turn: common.Turn = session.scenario.turns[0]
        self._queues: dict[str, asyncio.Queue] = {}
        self._senders: dict[str, asyncio.Task] = {}

    def can_generate_metrics(self) -> bool:
        return True

    async def process_frame(self, frame, direction: FrameDirection):
        # The reply's start frame says which turn (and so which TTFB draw) its texts belong to.
        if isinstance(frame, LLMFullResponseStartFrame) and BENCH_TURN in frame.metadata:
            index = frame.metadata[BENCH_TURN]
            self._turn = next(t for t in self._session.scenario.turns if t.index == index)
        await super().process_frame(frame, direction)

    async def run_tts(self, text: str, context_id: str):
        queue = self._queues.get(context_id)
        if queue is None:
            queue = self._queues[context_id] = asyncio.Queue()
            self._senders[context_id] = self.create_task(self._receive(context_id, queue), f"tts-{context_id}")
        queue.put_nowait((text, time.monotonic(), self._turn))
        yield None

    async def flush_audio(self, context_id: str | None = None):
        queue = self._queues.get(context_id or "")
        if queue is not None:
            queue.put_nowait(None)

    async def on_audio_context_interrupted(self, context_id: str):
        await self._drop(context_id)

    async def _receive(self, context_id: str, queue: asyncio.Queue) -> None:
        spec = self._tone.spec
        while (item := await queue.get()) is not None:
            text, requested, turn = item
            for n in range(self._tone.total_chunks(text)):
                await sleep_until(requested + Tone.chunk_due_s(turn, spec, n))
                await self.append_to_audio_context(
                    context_id, TTSAudioRawFrame(self._tone.chunk(n), spec.sample_rate, 1, context_id=context_id))
        await self.append_to_audio_context(context_id, TTSStoppedFrame(context_id=context_id))
        await self.remove_audio_context(context_id)
        self._queues.pop(context_id, None)
        self._senders.pop(context_id, None)

    async def _drop(self, context_id: str) -> None:
        self._queues.pop(context_id, None)
        task = self._senders.pop(context_id, None)
        if task is not None and task is not asyncio.current_task():
            await self.cancel_task(task)

    async def cleanup(self):
        for context_id in list(self._senders):
            await self._drop(context_id)
        await super().cleanup()


# =============================================================================================
# Fake transport: real-time input, timestamped real-time output
# =============================================================================================
class BenchInput(BaseInputTransport):
    """The user's microphone: the feeder hands each 20 ms frame to push_audio_frame() (the same
    entry point pipecat's transports use) at its real-time deadline."""

    def __init__(self, params: TransportParams, sample_rate: int, **kwargs):
        super().__init__(params, **kwargs)
        self._rate = sample_rate
        self.ready = asyncio.Event()

    async def start(self, frame: StartFrame):
        await super().start(frame)
        await self.set_transport_ready(frame)
        self.ready.set()

    async def deliver(self, pcm: bytes) -> None:
        await self.push_audio_frame(InputAudioRawFrame(audio=pcm, sample_rate=self._rate, num_channels=1))


class BenchOutput(BaseOutputTransport):
    """The agent's speaker. BaseOutputTransport cuts the TTS audio into audio_out_10ms_chunks
    chunks, queues them and calls write_audio_frame() one at a time; pacing is left to the
    transport (PyAudio blocks on the device, Daily / LiveKit on their real-time sources). This
    one is a real-time device with a one-chunk buffer: write_audio_frame() returns when its
    chunk starts playing, on a drift-free playout clock; that instant is the chunk's time at the
    output. Interruptions are pipecat's own: an InterruptionFrame makes the base class drop the
    queued audio, so the reply stops with the chunk that was playing."""

    def __init__(self, params: TransportParams, session: Session, **kwargs):
        super().__init__(params, **kwargs)
        self._session = session
        self._play_at = 0.0
        self._reply_turn: int | None = None
        self._new_reply = False

    async def start(self, frame: StartFrame):
        await super().start(frame)
        await self.set_transport_ready(frame)

    async def process_frame(self, frame, direction: FrameDirection):
        if isinstance(frame, InterruptionFrame):
            self._session.output_cut()
            self._new_reply = False
        await super().process_frame(frame, direction)

    async def write_transport_frame(self, frame):
        # Control frames queued with the audio reach us in order with it.
        if isinstance(frame, LLMFullResponseStartFrame):
            self._reply_turn, self._new_reply = frame.metadata.get(BENCH_TURN), True
        elif isinstance(frame, LLMFullResponseEndFrame):
            self._session.output_ended()

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        now = time.monotonic()
        if self._play_at < now:  # the device ran dry: playout restarts now
            self._play_at = now
        await sleep_until(self._play_at)
        duration = len(frame.audio) / 2 / frame.sample_rate / frame.num_channels
        self._session.output_frame(self._reply_turn, duration, new_reply=self._new_reply, t=self._play_at)
        self._new_reply = False
        self._play_at += duration
        return True


class BenchTransport(BaseTransport):
    def __init__(self, params: TransportParams, session: Session, sample_rate: int):
        super().__init__()
        self._input = BenchInput(params, sample_rate)
        self._output = BenchOutput(params, session)

    def input(self) -> BenchInput:
        return self._input

    def output(self) -> BenchOutput:
        return self._output


# =============================================================================================
# Variants
# =============================================================================================
def variant_config(variant: str) -> tuple[dict, float, dict]:
    """Returns (build options, endpointing_ms, settings)."""
    sc = SCENARIO
    vad_default = VADParams()
    smart = SmartTurnParams()
    if variant == "defaults":
        # The quick start (`pipecat init`, cascade): LLMUserAggregatorParams(vad_analyzer=
        # SileroVADAnalyzer()) and nothing else, so: default VAD params, default turn strategies
        # (start: VAD, then transcription; stop: Smart Turn v3 run locally on its bundled ONNX),
        # default interruptions (on: a VAD start interrupts the bot), sentence aggregation in
        # the TTS, 40 ms output chunks.
        options = {"vad": vad_default, "strategies": None, "aggregation": TextAggregationMode.SENTENCE,
                   "out_10ms_chunks": TransportParams().audio_out_10ms_chunks}
        endpointing = vad_default.stop_secs * 1000
        settings = {
            "vad": f"silero confidence={vad_default.confidence} start_secs={vad_default.start_secs} "
                   f"stop_secs={vad_default.stop_secs} min_volume={vad_default.min_volume}",
            "turn_stop": f"TurnAnalyzerUserTurnStopStrategy(LocalSmartTurnAnalyzerV3): after the VAD stop the "
                         f"Smart Turn v3 model decides; if it says incomplete the turn ends after "
                         f"{smart.stop_secs}s of silence; then it waits for the finalized transcript",
            "turn_start": "VADUserTurnStartStrategy, TranscriptionUserTurnStartStrategy (interruptions on)",
            "endpointing": f"VAD stop_secs {vad_default.stop_secs * 1000:.0f} ms (+ Smart Turn inference; "
                           f"{smart.stop_secs * 1000:.0f} ms when the model says incomplete)",
        }
    else:
        # Fastest honest settings for this scenario: the VAD's silence window is the scenario's
        # endpointing_ms and its start window the scenario's interruption_min_ms; the turn ends
        # at the VAD stop once the finalized transcript is in (SpeechTimeoutUserTurnStopStrategy
        # with user_speech_timeout=0: no extra "the user may go on" wait, no Smart Turn); the
        # TTS streams tokens (TextAggregationMode.TOKEN, no sentence aggregation); output
        # chunks are the TTS chunk size (no waiting to fill 40 ms).
        vad = VADParams(confidence=vad_default.confidence, start_secs=sc.interruption_min_ms / 1000.0,
                        stop_secs=sc.endpointing_ms / 1000.0, min_volume=vad_default.min_volume)
        strategies = UserTurnStrategies(
            start=[VADUserTurnStartStrategy(), TranscriptionUserTurnStartStrategy()],
            stop=[SpeechTimeoutUserTurnStopStrategy(user_speech_timeout=0.0)])
        options = {"vad": vad, "strategies": strategies, "aggregation": TextAggregationMode.TOKEN,
                   "out_10ms_chunks": max(1, sc.tts.chunk_ms // 10)}
        endpointing = vad.stop_secs * 1000
        settings = {
            "vad": f"silero confidence={vad.confidence} start_secs={vad.start_secs} stop_secs={vad.stop_secs} "
                   f"min_volume={vad.min_volume}",
            "turn_stop": "SpeechTimeoutUserTurnStopStrategy(user_speech_timeout=0): turn ends at the VAD stop "
                         "once the finalized transcript is in",
            "turn_start": "VADUserTurnStartStrategy, TranscriptionUserTurnStartStrategy (interruptions on)",
            "endpointing": f"VAD stop_secs {vad.stop_secs * 1000:.0f} ms",
        }
    settings.update({
        "tts_aggregation": str(options["aggregation"]),
        "output": f"BaseOutputTransport chunks and queues, pacing is the transport's: here a real-time device "
                  f"with a one-chunk buffer (frames timed when they start playing), "
                  f"{options['out_10ms_chunks'] * 10} ms chunks (audio_out_10ms_chunks={options['out_10ms_chunks']})",
        "stt": "streaming, one finalized final per utterance, ttfs_p99_latency = slowest scenario STT final",
        "tts": "streaming (Cartesia-style audio contexts), texts of a turn in order",
        "pipeline": "input → stt → user aggregator → llm → tts → output → assistant aggregator (pipecat init cascade)",
        "sessions": f"{ARGS.sessions} pipeline(s) in one process (one PipelineWorker each, one WorkerRunner)",
        "resources": "cpu/wall from t0 to the end of the run; rss = peak of the process",
    })
    return options, endpointing, settings


def build_worker(session: Session, options: dict, tone: Tone) -> tuple[PipelineWorker, BenchTransport]:
    sc = SCENARIO
    params = TransportParams(audio_in_enabled=True, audio_out_enabled=True, audio_in_sample_rate=sc.sample_rate,
                             audio_out_sample_rate=sc.tts.sample_rate, audio_out_10ms_chunks=options["out_10ms_chunks"])
    transport = BenchTransport(params, session, sc.sample_rate)
    stt = BenchSTT(session)
    llm = BenchLLM(session)
    tts = BenchTTS(session, tone, text_aggregation_mode=options["aggregation"])
    context = LLMContext()
    user_params = LLMUserAggregatorParams(vad_analyzer=SileroVADAnalyzer(params=options["vad"]))
    if options["strategies"] is not None:
        user_params.user_turn_strategies = options["strategies"]
    user_aggregator, assistant_aggregator = LLMContextAggregatorPair(context, user_params=user_params)
    pipeline = Pipeline([transport.input(), stt, user_aggregator, llm, tts, transport.output(), assistant_aggregator])
    worker = PipelineWorker(
        pipeline,
        name=f"bench-session-{session.index}",
        params=PipelineParams(audio_in_sample_rate=sc.sample_rate, audio_out_sample_rate=sc.tts.sample_rate,
                              enable_metrics=True, enable_usage_metrics=True),
    )
    return worker, transport


async def main() -> int:
    writer = common.RecordWriter(ARGS.out)
    run = common.Run(SCENARIO, writer, ARGS.sessions)
    run.install_sigint()
    options, endpointing, settings = variant_config(ARGS.variant)
    tone = Tone(SCENARIO.tts)
    built = [build_worker(s, options, tone) for s in run.sessions]
    run.start_record("pipecat", ARGS.variant, package_version("pipecat-ai"), endpointing, settings)

    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(*(w for w, _ in built))
    runner_task = asyncio.create_task(runner.run())
    try:
        ready = asyncio.gather(*(t.input().ready.wait() for _, t in built))
        done, _ = await asyncio.wait([asyncio.ensure_future(ready), asyncio.ensure_future(run.stop.wait()), runner_task],
                                     timeout=60, return_when=asyncio.FIRST_COMPLETED)
        if run.stop.is_set():
            return run.finish()
        if runner_task in done or not all(t.input().ready.is_set() for _, t in built):
            common.fail("pipecat pipeline did not start (see the log above)", 1)

        code = await run.feed_until_done([t.input().deliver for _, t in built])
    finally:
        for worker, _ in built:
            await worker.cancel()
        try:
            await asyncio.wait_for(runner_task, 10)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            pass
    return code


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
