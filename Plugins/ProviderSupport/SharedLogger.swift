// SPDX-License-Identifier: Apache-2.0

import Logging
import Synchronization

/// The logger a provider stage and its provider task share. The stage sets it (the pipeline's
/// logger at start, or a test's capturing logger later) and the task, on whatever thread, logs
/// with the current one.
public final class SharedLogger: Sendable {
    private let current: Mutex<Logger>

    public init(_ logger: Logger) { current = Mutex(logger) }

    public var logger: Logger {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }
}
