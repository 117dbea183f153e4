// SPDX-License-Identifier: Apache-2.0

/// A typed option value, after validation against its `OptionSpec`.
public enum OptionValue: Sendable, Hashable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return String(v)
        case .bool(let v): return String(v)
        case .string(let v): return v
        }
    }
}

/// Declares one option a provider accepts: its type, allowed range, default and help text.
/// The registry validates config against these before the factory runs, so a factory reads
/// options that are already typed, in range and complete.
public struct OptionSpec: Sendable, Hashable {
    public enum ValueType: Sendable, Hashable {
        case int(ClosedRange<Int>)
        case double(ClosedRange<Double>)
        case bool
        case string
        case oneOf([String])
        /// A credential: never printed; may come from `environmentVariable` when not in config.
        case secret
    }

    public var name: String
    public var type: ValueType
    public var defaultValue: OptionValue?
    /// For secrets (and any option): the environment variable consulted when the config
    /// doesn't set it (e.g. `DEEPGRAM_API_KEY`).
    public var environmentVariable: String?
    public var help: String

    public init(_ name: String, _ type: ValueType, default defaultValue: OptionValue? = nil,
                environment: String? = nil, help: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        environmentVariable = environment
        self.help = help
    }

    public static func int(_ name: String, _ range: ClosedRange<Int>, default d: Int, help: String) -> OptionSpec {
        OptionSpec(name, .int(range), default: .int(d), help: help)
    }
    public static func double(_ name: String, _ range: ClosedRange<Double>, default d: Double, help: String) -> OptionSpec {
        OptionSpec(name, .double(range), default: .double(d), help: help)
    }
    public static func bool(_ name: String, default d: Bool, help: String) -> OptionSpec {
        OptionSpec(name, .bool, default: .bool(d), help: help)
    }
    public static func string(_ name: String, default d: String?, help: String) -> OptionSpec {
        OptionSpec(name, .string, default: d.map { .string($0) }, help: help)
    }
    public static func oneOf(_ name: String, _ allowed: [String], default d: String, help: String) -> OptionSpec {
        OptionSpec(name, .oneOf(allowed), default: .string(d), help: help)
    }
    public static func secret(_ name: String, environment: String, help: String) -> OptionSpec {
        OptionSpec(name, .secret, environment: environment, help: help)
    }

    /// Human text for the allowed values (used in errors and `parley plugins`).
    public var allowedText: String {
        switch type {
        case .int(let r): return "integer in \(r.lowerBound)...\(r.upperBound)"
        case .double(let r): return "number in \(r.lowerBound)...\(r.upperBound)"
        case .bool: return "true or false"
        case .string: return "a string"
        case .oneOf(let values): return "one of " + values.joined(separator: ", ")
        case .secret: return "a string (secret)" + (environmentVariable.map { ", or set \($0)" } ?? "")
        }
    }
}

/// The validated options handed to a stage factory. Reading an option that was declared
/// always succeeds; reading an undeclared one is a programming error in the plugin.
public struct StageOptions: Sendable, Hashable {
    public private(set) var values: [String: OptionValue]

    public init(_ values: [String: OptionValue] = [:]) { self.values = values }

    public func int(_ name: String) -> Int {
        if case .int(let v)? = values[name] { return v }
        preconditionFailure("option '\(name)' was not declared as an int with a default")
    }
    public func double(_ name: String) -> Double {
        switch values[name] {
        case .double(let v)?: return v
        case .int(let v)?: return Double(v)
        default: preconditionFailure("option '\(name)' was not declared as a number with a default")
        }
    }
    public func bool(_ name: String) -> Bool {
        if case .bool(let v)? = values[name] { return v }
        preconditionFailure("option '\(name)' was not declared as a bool with a default")
    }
    /// String, one-of and secret options; nil when optional and unset.
    public func string(_ name: String) -> String? {
        if case .string(let v)? = values[name] { return v }
        return nil
    }
}
