// SPDX-License-Identifier: Apache-2.0

/// The seam that lets one stage run other, unchanged stages inside its own graph node: a
/// wrapper (`FallbackStage`) gives each child a `StageContext` of its own whose output comes
/// back to the wrapper instead of going downstream.
///
/// ```
///                        ┌──────────────── node n: wrapper stage ─────────────────┐
///   upstream ──frame──►  │ process/control ──► child₁.process(frame, context₁)    │
///                        │                     child₂ (idle, or taking over)      │
///                        │                                                        │
///                        │  context_k.emit / fail / report ──┐                    │
///   provider thread ── mailbox_k.post ──► inbox (n, k) ──────┤ host.child(k, …)   │ ──► context.emit ──► downstream
///   engine timers (n, k, id) ── due ─────────────────────────┤  (on the loop)     │     (or kept, or replayed
///   context_k.raiseInterruption ─────────────────────────────┘                    │      on another child)
///                        └────────────────────────────────────────────────────────┘
/// ```
///
/// What a child context shares with its wrapper's: the node index, clock, media time, buffer
/// pools, input format and logger (with `child` metadata). What it has of its own:
/// - a **channel** (1, 2, … in creation order; 0 is the node's own context). Timers are keyed by
///   (node, channel, id), so a child's timer ids never clash with its wrapper's; mailbox posts
///   carry the channel, so the loop routes them back to the right child;
/// - an **epoch**. The engine bumps a node's epoch when an interruption reaches it; a child's
///   is bumped by its wrapper when it hands the child an interruption (the wrapper chooses
///   which children get one). Agent output a child's provider posts with an older epoch is
///   dropped on arrival, as for any node (counted in the node's `staleDropped`);
/// - its **output format** (`outputFormat(for:)` of the child).
///
/// Nothing changes for a stage that is not wrapped: `channel` is 0 and every call goes to the
/// engine exactly as before. For a child, `emit` (and `fail`/`report`, which emit) is one
/// call through `ChildStageHost`, with no allocation; the wrapper decides what reaches the
/// engine. Lifecycle calls (`start`, `stop`, `cancel`, `interrupted`, `control`, `process`)
/// are the wrapper's to make: the engine only knows the wrapper.
protocol ChildStageHost: AnyObject {
    /// The child on `channel` emitted `frame`: directly, through `fail`/`report`, or (on the
    /// loop, after the epoch check) from its mailbox.
    func child(_ channel: Int, emitted frame: Frame)
    /// A timer the child on `channel` scheduled is due; call the child's `timerFired`.
    func child(_ channel: Int, timerFired id: Int)
    /// The child on `channel` asked for an interruption (`raiseInterruption` or its mailbox).
    func child(_ channel: Int, raisedInterruption cause: Interruption.Cause)
}

extension StageContext {
    /// A context for a stage the stage of this context runs inside itself. Call it in `start`,
    /// once per child, before starting the child. `outputFormat`: what the child emits
    /// (`child.outputFormat(for: inputFormat)`).
    func makeChildContext(name: String, outputFormat: AudioFormat, host: any ChildStageHost) -> StageContext {
        precondition(channel == 0, "child contexts nest one level only")
        return engine.makeChildContext(of: self, name: name, outputFormat: outputFormat, host: host)
    }

    /// Hands `interruption` to a child stage: bumps the child's epoch first (so what its
    /// provider posts for the cancelled work is dropped on arrival), then calls `interrupted`.
    func deliverInterruption(_ interruption: Interruption, to stage: any Stage) {
        precondition(channel != 0, "the engine delivers interruptions to node stages")
        childEpoch += 1
        stage.interrupted(interruption, self)
    }
}
