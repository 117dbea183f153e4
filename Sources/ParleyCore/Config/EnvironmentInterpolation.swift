// SPDX-License-Identifier: Apache-2.0

import Foundation

/// `${VAR}` / `${VAR:-default}` substitution in config values.
///
/// Secrets and per-deployment addresses come from the environment, never from files that
/// get committed; interpolation lets one config file serve every deployment. The syntax is
/// the familiar shell/docker-compose subset and nothing more, so a config never depends on
/// shell features we would have to emulate. Substituted text is not scanned again: a
/// variable whose value contains `${...}` cannot pull in other variables.
public enum EnvironmentInterpolation {
    public struct Result: Sendable, Equatable {
        /// The text with every reference substituted.
        public var value: String
        /// The variable names referenced, in order; used to redact values built from secrets.
        public var variables: [String]

        public init(value: String, variables: [String]) {
            self.value = value
            self.variables = variables
        }
    }

    public enum Failure: Error, Sendable, Equatable {
        /// `${NAME}` with `NAME` unset and no default.
        case undefined(name: String)
        /// `${` without a closing `}`.
        case unterminated
        /// `${...}` whose name is not `[A-Za-z_][A-Za-z0-9_]*`.
        case invalidName(String)
        /// A shell form we deliberately do not support (`${X-d}`, `${X:?e}`, nesting, ...).
        case unsupported
    }

    /// Rules: `$$` is a literal `$`; `${NAME}` is the variable (an empty value is kept);
    /// `${NAME:-default}` uses `default` when `NAME` is unset *or empty*, as the shell does;
    /// the default is literal text up to the first `}`; any other `$` is kept as is, so
    /// prices and regexes need no escaping.
    public static func interpolate(_ text: String, environment: [String: String]) throws(Failure) -> Result {
        let scalars = Array(text.unicodeScalars)
        guard scalars.contains("$") else {
            return Result(value: text, variables: [])
        }
        var output = String.UnicodeScalarView()
        var variables: [String] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            guard scalar == "$", index + 1 < scalars.count else {
                output.append(scalar)
                index += 1
                continue
            }
            switch scalars[index + 1] {
            case "$":
                output.append("$")
                index += 2
            case "{":
                guard let close = scalars[(index + 2)...].firstIndex(of: "}") else {
                    throw .unterminated
                }
                let body = String(String.UnicodeScalarView(scalars[(index + 2)..<close]))
                let (name, fallback) = try parseReference(body)
                variables.append(name)
                let current = environment[name]
                if let current, fallback == nil || !current.isEmpty {
                    output.append(contentsOf: current.unicodeScalars)
                } else if let fallback {
                    output.append(contentsOf: fallback.unicodeScalars)
                } else {
                    throw .undefined(name: name)
                }
                index = close + 1
            default:
                output.append(scalar)
                index += 1
            }
        }
        return Result(value: String(output), variables: variables)
    }

    private static func parseReference(_ body: String) throws(Failure) -> (name: String, fallback: String?) {
        let name: Substring
        let fallback: Substring?
        if let separator = body.range(of: ":-") {
            name = body[..<separator.lowerBound]
            fallback = body[separator.upperBound...]
        } else {
            name = body[...]
            fallback = nil
        }
        guard isValidName(name) else {
            // A valid name followed by an operator is a shell form we chose not to support;
            // anything else is a malformed name.
            let identifierPrefix = name.unicodeScalars.prefix { isNameScalar($0) }
            if !identifierPrefix.isEmpty,
               let next = name.unicodeScalars.dropFirst(identifierPrefix.count).first,
               ":-?=+".unicodeScalars.contains(next) {
                throw .unsupported
            }
            throw .invalidName(String(name))
        }
        if let fallback, fallback.contains("${") {
            throw .unsupported
        }
        return (String(name), fallback.map(String.init))
    }

    private static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy(isNameScalar)
    }

    private static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_": true
        default: false
        }
    }
}

// MARK: Flow-context shielding

extension EnvironmentInterpolation {
    /// Stand-ins for the braces of `${...}` while YAML is parsed.
    static let openShield: Unicode.Scalar = "\u{F8FD}"
    static let closeShield: Unicode.Scalar = "\u{F8FE}"

    /// Hides the braces of each `${...}` (closed on the same line) from the YAML parser.
    ///
    /// Operators write `livekit: { url: ${LIVEKIT_URL} }`, but inside a flow mapping YAML
    /// ends a plain scalar at `{` or `}`, so that line would be a syntax error. Swapping the
    /// braces for private-use characters of the same length keeps every line and column
    /// unchanged; `unshield` puts them back in each key and scalar before interpolation.
    /// Returns nil (no shielding) if the text already uses those characters.
    static func shieldingBraces(in yaml: String) -> String? {
        guard yaml.contains("${") else { return nil }
        let scalars = Array(yaml.unicodeScalars)
        guard !scalars.contains(openShield), !scalars.contains(closeShield) else { return nil }
        var output = scalars
        var index = 0
        while index + 1 < scalars.count {
            guard scalars[index] == "$", scalars[index + 1] == "{" else {
                index += 1
                continue
            }
            var close = index + 2
            while close < scalars.count, scalars[close] != "}", scalars[close] != "\n" {
                close += 1
            }
            guard close < scalars.count, scalars[close] == "}" else {
                index += 2
                continue
            }
            output[index + 1] = openShield
            output[close] = closeShield
            index = close + 1
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: output)
        return String(view)
    }

    /// Reverses `shieldingBraces` in one key or scalar.
    static func unshield(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 == openShield || $0 == closeShield }) else { return text }
        var view = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case openShield: view.append("{")
            case closeShield: view.append("}")
            default: view.append(scalar)
            }
        }
        return String(view)
    }
}
