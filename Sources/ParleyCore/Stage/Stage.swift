// SPDX-License-Identifier: Apache-2.0

/// What a stage wants done with a control frame it has seen.
public enum ControlDisposition: Sendable {
    /// Pass it downstream now (the default).
    case forward
    /// Keep it. The stage emits it itself later (e.g. an STT stage holds `endOfStream` until
    /// its provider has returned the last transcript) or not at all.
    case consume
}

/// One processing step of a pipeline: a VAD, an STT client, a resampler, a TTS engine…
///
/// The engine calls a stage only from its pipeline's loop, one call at a time, so a stage
/// needs no locks for its own state. A stage must never block that loop: provider network
/// I/O happens on other threads or tasks, which hand results back through
/// `StageContext.mailbox` (thread-safe).
///
/// **Typed input/output.** `accepts` lists the frame kinds the stage consumes; frames of
/// other kinds flow past it untouched (the engine forwards them without calling `process`),
/// so an STT stage never sees LLM tokens and a TTS stage never sees user audio. `produces`
/// lists what it emits; the graph builder refuses a stage that accepts nothing that can reach it.
///
/// **Caps.** `inputCaps` states the audio format the stage accepts. The engine inserts
/// channel-mix, resample and re-frame converters in front of it when the upstream format
/// differs; a stage never converts on its own. `outputFormat(for:)` states what it emits.
///
/// **Lifecycle.** `start` once before the first frame; `process`/`control` per frame;
/// `flush` when asked to push out what it holds (on `.flush` and `.endOfStream`);
/// `interrupted` when an interruption reaches it (drop in-flight agent output; the engine has
/// already purged the queue in front of it and forwards the interruption itself); `stop` at
/// a normal end; `cancel` when the pipeline is cancelled (abandon provider calls at once).
public protocol Stage: AnyObject {
    /// Shown in probes, logs, errors and latency tables.
    var name: String { get }
    /// Data kinds this stage consumes (`.control` is implied: every stage sees control frames).
    var accepts: FrameKinds { get }
    /// Data kinds this stage emits (in addition to what it lets pass).
    var produces: FrameKinds { get }
    /// Audio the stage accepts (only meaningful when `accepts` contains `.audio`).
    var inputCaps: AudioCaps { get }
    /// The audio format this stage emits when fed `input`. Default: unchanged.
    func outputFormat(for input: AudioFormat) -> AudioFormat

    func start(_ context: StageContext) throws
    /// A data frame of an accepted kind. Emit results with `context.emit(_:)`.
    func process(_ frame: Frame, _ context: StageContext)
    /// A control frame (both lanes). Default: `flush` on `.flush`/`.endOfStream`, then `.forward`.
    func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition
    /// An interruption reached this stage: drop in-flight agent output now.
    func interrupted(_ interruption: Interruption, _ context: StageContext)
    /// Emit whatever is buffered.
    func flush(_ context: StageContext)
    /// A timer set with `context.schedule(after:id:)` fired.
    func timerFired(id: Int, _ context: StageContext)
    func stop(_ context: StageContext)
    func cancel(_ context: StageContext)
}

public extension Stage {
    var accepts: FrameKinds { .all }
    var produces: FrameKinds { .none }
    var inputCaps: AudioCaps { .any }
    func outputFormat(for input: AudioFormat) -> AudioFormat { input }
    func start(_ context: StageContext) throws {}
    /// Default: pass the frame on unchanged (a stage that only watches, or only reacts to control).
    func process(_ frame: Frame, _ context: StageContext) { context.emit(frame) }
    func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        switch frame {
        case .flush, .endOfStream: flush(context)
        default: break
        }
        return .forward
    }
    func interrupted(_ interruption: Interruption, _ context: StageContext) {}
    func flush(_ context: StageContext) {}
    func timerFired(id: Int, _ context: StageContext) {}
    func stop(_ context: StageContext) {}
    func cancel(_ context: StageContext) {}
}
