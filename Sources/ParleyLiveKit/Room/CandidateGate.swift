// SPDX-License-Identifier: Apache-2.0

import Synchronization

/// Holds a peer connection's local ICE candidates until the description they belong to has
/// been sent, then trickles them in order (§4 "Trickle": the server must see the offer or
/// answer first). Candidates are produced on the connection's queue and sent from there:
/// no hop through the room actor, so their order is kept.
final class CandidateGate<Item: Sendable>: Sendable {
    private struct State {
        var open = false
        var held: [Item] = []
        var sink: (@Sendable (Item) -> Void)?
    }
    private let state = Mutex(State())

    /// Sends now if open, else holds.
    func offer(_ item: Item) {
        let sink: (@Sendable (Item) -> Void)? = state.withLock { s in
            guard s.open, let sink = s.sink else {
                s.held.append(item)
                return nil
            }
            return sink
        }
        sink?(item)
    }

    /// Opens the gate through `sink` (the current signal connection) and flushes what was held.
    func open(_ sink: @escaping @Sendable (Item) -> Void) {
        let held: [Item] = state.withLock { s in
            s.open = true
            s.sink = sink
            defer { s.held = [] }
            return s.held
        }
        for item in held { sink(item) }
    }

    /// Closes it again (signal connection lost): candidates are held for the next one.
    func close() {
        state.withLock { s in
            s.open = false
            s.sink = nil
        }
    }
}
