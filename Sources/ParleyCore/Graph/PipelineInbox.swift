// SPDX-License-Identifier: Apache-2.0

import Synchronization

/// The only thread-safe door into a running pipeline: other threads (network receivers,
/// provider tasks, the API that asks for an interruption) post messages here, and the loop
/// drains them at the start of every pass, in posting order.
///
/// Draining swaps two preallocated arrays, so a steady flow of posts allocates nothing.
final class PipelineInbox: Sendable {
    enum Message: Sendable {
        /// A frame to emit from the node. `epoch`, when set, is the node's interruption epoch
        /// at the time the work that produced it started (see `StageContext.epoch`).
        case frame(Frame, epoch: UInt64?)
        case interrupt(Interruption.Cause)
        case cancel
    }

    struct Posted: Sendable {
        var node: Int
        /// 0: the node's own stage; 1…: a child stage of a wrapper at `node` (`StageContext.channel`).
        var channel: Int
        var message: Message
    }

    private struct State: ~Copyable {
        var pending: [Posted]
        var spare: [Posted]
    }

    private let state: Mutex<State>
    let signal: LoopSignal

    init(signal: LoopSignal = LoopSignal()) {
        var a: [Posted] = []
        a.reserveCapacity(256)
        var b: [Posted] = []
        b.reserveCapacity(256)
        state = Mutex(State(pending: a, spare: b))
        self.signal = signal
    }

    /// `node` −1 means "the pipeline input" (as if the source produced it).
    func post(node: Int, channel: Int = 0, _ message: Message) {
        state.withLock { $0.pending.append(Posted(node: node, channel: channel, message: message)) }
        signal.notify()
    }

    var isEmpty: Bool { state.withLock { $0.pending.isEmpty } }

    /// Hands the pending messages to `body` (on the loop) and clears them.
    func drain(_ body: (Posted) -> Void) {
        var batch: [Posted] = state.withLock { s in
            if s.pending.isEmpty { return [] }
            var taken = s.spare
            swap(&taken, &s.pending)
            return taken
        }
        if batch.isEmpty { return }
        for p in batch { body(p) }
        batch.removeAll(keepingCapacity: true)
        state.withLock { s in if s.spare.capacity < batch.capacity { s.spare = batch } }
    }
}
