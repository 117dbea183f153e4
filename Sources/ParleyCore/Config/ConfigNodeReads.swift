// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Typed reads. Each failure names the node's location, key path, value and what is
/// allowed, so callers never need to phrase their own "bad value" messages.
extension ConfigNode {
    public static let booleanSpellings = ["true", "false", "yes", "no", "on", "off"]

    public func string() throws -> String {
        guard case .scalar(let text) = kind else {
            throw error("is not a string", allowed: "string")
        }
        return text
    }

    /// Accepts decimal integers with an optional sign, quoted or not (operators quote
    /// numbers, and environment variables are always text). Surrounding spaces are ignored.
    public func int(in range: ClosedRange<Int>? = nil) throws -> Int {
        let allowed = range.map { "integer in \($0)" } ?? "integer"
        guard case .scalar(let text) = kind else {
            throw error("is not an integer", allowed: allowed)
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard Self.isDecimalInteger(trimmed) else {
            throw error("is not an integer", allowed: allowed)
        }
        guard let number = Int(trimmed) else {
            throw error("is out of range", allowed: range.map { "integer in \($0)" } ?? "integer in \(Int.min)...\(Int.max)")
        }
        if let range, !range.contains(number) {
            throw error("is out of range", allowed: allowed)
        }
        return number
    }

    /// Accepts plain decimal notation with an optional exponent. Swift's own parser would
    /// also take `nan`, `inf` and hex floats; none of those is a sensible setting.
    public func double(in range: ClosedRange<Double>? = nil) throws -> Double {
        let allowed = range.map { "number in \($0)" } ?? "number"
        guard case .scalar(let text) = kind else {
            throw error("is not a number", allowed: allowed)
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard Self.isDecimalNumber(trimmed), let number = Double(trimmed), number.isFinite else {
            throw error("is not a number", allowed: allowed)
        }
        if let range, !range.contains(number) {
            throw error("is out of range", allowed: allowed)
        }
        return number
    }

    /// The YAML 1.1 spellings, case-insensitively, because operators write `yes`/`on` and
    /// expect them to work as they do elsewhere in YAML.
    public func bool() throws -> Bool {
        let allowed = Self.booleanSpellings.joined(separator: ", ")
        guard case .scalar(let text) = kind else {
            throw error("is not a boolean", allowed: allowed)
        }
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("is not a boolean", allowed: allowed)
        }
    }

    /// Exact (case-sensitive) match against a closed set, e.g. provider names.
    public func oneOf(_ allowed: [String]) throws -> String {
        let allowedText = allowed.joined(separator: ", ")
        guard case .scalar(let text) = kind else {
            throw error("is not one of the supported values", allowed: allowedText)
        }
        guard allowed.contains(text) else {
            var problem = "is not one of the supported values"
            if !isSensitive, let guess = ConfigSuggestion.closest(to: text, among: allowed) {
                problem += "; did you mean \"\(guess)\"?"
            }
            throw error(problem, allowed: allowedText)
        }
        return text
    }

    public func sequence() throws -> [ConfigNode] {
        guard case .sequence(let items) = kind else {
            throw error("is not a sequence", allowed: "sequence")
        }
        return items
    }

    public func mapping() throws -> [Entry] {
        guard case .mapping(let entries) = kind else {
            throw error("is not a mapping", allowed: "mapping")
        }
        return entries
    }

    // MARK: Optional children

    /// The child for an optional setting. An absent key, an explicit `null`/empty value and
    /// an empty section (`turn:` with nothing under it) all mean "use the default": that is
    /// how operators comment settings out. A scalar or sequence where a mapping is needed
    /// is still an error, because silently ignoring it would hide a typo.
    public func optionalChild(_ key: String) throws -> ConfigNode? {
        switch kind {
        case .null:
            return nil
        case .mapping(let entries):
            guard let child = entries.first(where: { $0.key == key })?.value, !child.isNull else {
                return nil
            }
            return child
        case .scalar, .sequence:
            throw error("is not a mapping", allowed: "mapping")
        }
    }

    public func string(_ key: String, default defaultValue: String?) throws -> String? {
        guard let child = try optionalChild(key) else { return defaultValue }
        return try child.string()
    }

    public func int(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>? = nil) throws -> Int {
        guard let child = try optionalChild(key) else { return defaultValue }
        return try child.int(in: range)
    }

    public func double(_ key: String, default defaultValue: Double, in range: ClosedRange<Double>? = nil) throws -> Double {
        guard let child = try optionalChild(key) else { return defaultValue }
        return try child.double(in: range)
    }

    public func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        guard let child = try optionalChild(key) else { return defaultValue }
        return try child.bool()
    }

    /// The child that must be present. The error points at the enclosing mapping, because
    /// that is where the operator has to add the key; its key path names the missing key.
    /// A key written with an empty value counts as present, so the typed read that follows
    /// reports `<null>` at the key itself rather than claiming it is missing.
    public func require(_ key: String, allowed: String? = nil) throws -> ConfigNode {
        switch kind {
        case .null, .mapping:
            guard let child = self[key] else {
                throw ConfigError(
                    location: location,
                    keyPath: ConfigKeyPath.child(keyPath, key: key),
                    problem: "missing required key",
                    allowed: allowed
                )
            }
            return child
        case .scalar, .sequence:
            throw error("is not a mapping", allowed: "mapping")
        }
    }

    /// Fails on the first key not in `allowed`, at that key's position. Unknown keys are
    /// almost always typos of known ones, which would otherwise be silently ignored.
    public func rejectUnknownKeys(allowed: [String]) throws {
        switch kind {
        case .null:
            return
        case .scalar, .sequence:
            throw error("is not a mapping", allowed: "mapping")
        case .mapping(let entries):
            for entry in entries where !allowed.contains(entry.key) {
                var problem = "is not a known key"
                if let guess = ConfigSuggestion.closest(to: entry.key, among: allowed) {
                    problem += "; did you mean \"\(guess)\"?"
                }
                throw ConfigError(
                    location: entry.keyLocation,
                    keyPath: keyPath,
                    value: "\"" + ConfigRedaction.escape(entry.key) + "\"",
                    problem: problem,
                    allowed: allowed.isEmpty ? "no keys" : allowed.joined(separator: ", ")
                )
            }
        }
    }

    // MARK: Lexical checks

    static func isDecimalInteger(_ text: String) -> Bool {
        var scalars = Substring(text).unicodeScalars[...]
        if let first = scalars.first, first == "+" || first == "-" {
            scalars = scalars.dropFirst()
        }
        return !scalars.isEmpty && scalars.allSatisfy { ("0"..."9").contains($0) }
    }

    static func isDecimalNumber(_ text: String) -> Bool {
        var rest = Substring(text).unicodeScalars[...]
        func digits() -> Int {
            let count = rest.prefix { ("0"..."9").contains($0) }.count
            rest = rest.dropFirst(count)
            return count
        }
        if let first = rest.first, first == "+" || first == "-" {
            rest = rest.dropFirst()
        }
        var mantissaDigits = digits()
        if rest.first == "." {
            rest = rest.dropFirst()
            mantissaDigits += digits()
        }
        guard mantissaDigits > 0 else { return false }
        if let first = rest.first, first == "e" || first == "E" {
            rest = rest.dropFirst()
            if let sign = rest.first, sign == "+" || sign == "-" {
                rest = rest.dropFirst()
            }
            guard digits() > 0 else { return false }
        }
        return rest.isEmpty
    }
}
