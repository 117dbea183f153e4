// SPDX-License-Identifier: Apache-2.0

/// How a pipeline ended.
public enum PipelineOutcome: Sendable, Equatable {
    /// End of stream reached the output.
    case finished
    case failed(StageFailure)
    case cancelled
}

/// Structured events a pipeline reports while it runs (the CLI prints them, benchmarks read
/// them, `parley run --events FILE` writes them as JSON lines).
public enum PipelineEvent: Sendable {
    /// A turn completed: the agent's first audio of a reply reached the output.
    case turn(TurnReport)
    case interruption(Interruption)
    case stageFailure(StageFailure)
    case finished(PipelineOutcome)
}
