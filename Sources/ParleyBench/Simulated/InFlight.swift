// SPDX-License-Identifier: Apache-2.0

import ParleyCore
import Synchronization

/// Work a simulated provider has under way on the network thread, so the stage can hold the
/// end of stream until that work is delivered (as a real provider stage waits for its last
/// results). Shared by the loop thread (begin, hold) and the network thread (end).
final class InFlight: Sendable {
    private struct State {
        var count = 0
        var heldEndOfStream = false
    }
    private let state = Mutex(State())

    func begin() { state.withLock { $0.count += 1 } }

    /// Whether any work is still under way.
    var isBusy: Bool { state.withLock { $0.count > 0 } }

    /// After the work's last post: releases a held end of stream when nothing is left.
    func end(_ mailbox: StageMailbox) {
        let release = state.withLock { s -> Bool in
            s.count = max(0, s.count - 1)
            guard s.count == 0 && s.heldEndOfStream else { return false }
            s.heldEndOfStream = false
            return true
        }
        if release { mailbox.post(.control(.endOfStream)) }
    }

    /// End of stream reached the stage: true if it is held (posted later by `end`).
    func holdEndOfStream() -> Bool {
        state.withLock { s in
            guard s.count > 0 else { return false }
            s.heldEndOfStream = true
            return true
        }
    }

    /// Everything under way was dropped (an interruption): nothing will end; release now.
    func abandon(_ mailbox: StageMailbox) {
        let release = state.withLock { s -> Bool in
            s.count = 0
            defer { s.heldEndOfStream = false }
            return s.heldEndOfStream
        }
        if release { mailbox.post(.control(.endOfStream)) }
    }
}
