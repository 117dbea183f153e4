// SPDX-License-Identifier: Apache-2.0

import Foundation

/// One value of a parsed config, with the place it was written.
///
/// The pipeline's settings are validated long after parsing, in the components that own
/// them; every node therefore carries its own source location and key path so that any
/// component can produce a precise, one-line error without access to the original file.
/// Scalars are kept as text (after environment interpolation) and only typed when read,
/// so a quoted `"300"` and a plain `300` mean the same thing to the operator and to us.
public struct ConfigNode: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case null
        case scalar(String)
        case sequence([ConfigNode])
        case mapping([ConfigNode.Entry])
    }

    /// A key and its value, in the order written: order matters for things like tool lists
    /// written as mappings, and for reporting the first problem the operator will see.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var keyLocation: SourceLocation
        public var value: ConfigNode

        public init(key: String, keyLocation: SourceLocation, value: ConfigNode) {
            self.key = key
            self.keyLocation = keyLocation
            self.value = value
        }
    }

    public var kind: Kind
    public var location: SourceLocation
    /// e.g. `pipeline.vad.min_silence_ms`, `tools[2].url`; empty for the root.
    public var keyPath: String
    /// Whether this value must never be printed. Set from the key path and from the names of
    /// interpolated environment variables, so `url: wss://u:${LK_TOKEN}@host` stays hidden too.
    public var isSensitive: Bool

    public init(kind: Kind, location: SourceLocation, keyPath: String, isSensitive: Bool? = nil) {
        self.kind = kind
        self.location = location
        self.keyPath = keyPath
        self.isSensitive = isSensitive ?? ConfigRedaction.isSensitive(keyPath)
    }

    // MARK: Navigation

    /// The value of `key` if this is a mapping that has it.
    public subscript(key: String) -> ConfigNode? {
        guard case .mapping(let entries) = kind else { return nil }
        return entries.first { $0.key == key }?.value
    }

    public var isNull: Bool {
        if case .null = kind { return true }
        return false
    }

    /// Keys of a mapping in source order; empty for anything else.
    public var keys: [String] {
        guard case .mapping(let entries) = kind else { return [] }
        return entries.map(\.key)
    }

    /// How this value appears in messages: a quoted, truncated scalar, `<redacted>`, or a
    /// placeholder naming the kind of a non-scalar.
    public var displayValue: String {
        switch kind {
        case .null: "<null>"
        case .scalar(let text): ConfigRedaction.display(text, sensitive: isSensitive)
        case .sequence: "<sequence>"
        case .mapping: "<mapping>"
        }
    }

    /// An error about this node. `problem` is read as a predicate of the value
    /// ("is not a valid URL"), because the message shows the value right before it.
    public func error(_ problem: String, allowed: String? = nil) -> ConfigError {
        ConfigError(location: location, keyPath: keyPath, value: displayValue, problem: problem, allowed: allowed)
    }
}
