// SPDX-License-Identifier: Apache-2.0

import Logging
import Synchronization

/// Every line a `Logger` made from `logger(label:)` wrote, at trace level: the kit checks that
/// no key ever reaches a log. Local to the test, so no global `LoggingSystem.bootstrap` is needed.
public final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    public func logger(label: String = "parley.conformance") -> Logger {
        var logger = Logger(label: label) { label in Handler(label: label, log: self) }
        logger.logLevel = .trace
        return logger
    }

    public var text: String { lines.withLock { $0.joined(separator: "\n") } }
    public var count: Int { lines.withLock { $0.count } }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let label: String
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            log.append("\(event.level) \(label): \(event.message) \(fields)")
        }
    }
}
