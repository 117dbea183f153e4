// SPDX-License-Identifier: Apache-2.0

import Synchronization

/// Set once (Ctrl-C, a failure) to end a bench run early; polled by the runners' wait loops.
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func set() { flag.store(true, ordering: .releasing) }
    public var isSet: Bool { flag.load(ordering: .acquiring) }
}
