// SPDX-License-Identifier: Apache-2.0

import Foundation

/// A problem in a config source, phrased for the operator who has to fix it.
///
/// Operators read these in logs and terminals, often far from the config file, so the
/// message must be self-contained on one line: where (file, line, column, key path), what
/// was written, what is wrong and what would be accepted. The value is stored only in its
/// display form (quoted, truncated, or `<redacted>`): the raw text never lives in the
/// error, so an error can be logged or sent anywhere without leaking a secret.
public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    /// Where the problem is; `nil` only when no source position exists at all.
    public var location: SourceLocation?
    /// Dotted path of the offending key, e.g. `pipeline.vad.min_silence_ms` or `tools[2].url`;
    /// empty for the document root.
    public var keyPath: String
    /// The offending value as shown to the operator: `"abc"`, `<mapping>`, `<redacted>`.
    public var value: String?
    /// What is wrong. When `value` is set this reads as a predicate of it ("is not an integer").
    public var problem: String
    /// What would have been accepted.
    public var allowed: String?

    public init(
        location: SourceLocation?,
        keyPath: String,
        value: String? = nil,
        problem: String,
        allowed: String? = nil
    ) {
        self.location = location
        self.keyPath = keyPath
        self.value = value
        self.problem = problem
        self.allowed = allowed
    }

    /// `file:line:column: key.path: "value" problem (allowed: ...)`, always a single line.
    public var description: String {
        var parts = ""
        if let location {
            parts += "\(location): "
        }
        if !keyPath.isEmpty {
            parts += "\(keyPath): "
        }
        if let value {
            parts += "\(value) "
        }
        parts += problem
        if let allowed {
            parts += " (allowed: \(allowed))"
        }
        return Self.singleLine(parts)
    }

    /// Log pipelines split on newlines; one error must stay one record even if a
    /// library-supplied problem text carries a line break.
    private static func singleLine(_ text: String) -> String {
        guard text.contains(where: \.isNewline) else { return text }
        return String(text.map { $0.isNewline ? " " : $0 })
    }
}

extension ConfigError: LocalizedError {
    /// Foundation's `localizedDescription` would otherwise print an opaque enum-ish
    /// placeholder, and callers often reach for it first.
    public var errorDescription: String? { description }
}
