// SPDX-License-Identifier: Apache-2.0

import Synchronization

/// A `Mutex` that closures can share: `Mutex` itself is non-copyable, so state read from
/// several threads' callbacks (a connection queue, the SCTP thread, an actor) lives in one of these.
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) { mutex = Mutex(value) }

    public func withLock<R>(_ body: (inout sending Value) throws -> sending R) rethrows -> sending R {
        try mutex.withLock(body)
    }
}
