// SPDX-License-Identifier: Apache-2.0

import Foundation
import Yams

/// Turns YAML config files into `ConfigNode` trees.
///
/// Everything that can go wrong (missing file, YAML syntax, duplicate or non-string keys,
/// undefined environment variables) surfaces as a `ConfigError` with a position, so an
/// operator sees the same kind of one-line message whatever the cause.
public enum ConfigLoader {
    /// Reads and parses a config file. The path is used verbatim in error locations, so
    /// messages show the file the way the operator named it.
    public static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ConfigNode {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError(
                location: .wholeFile(path),
                keyPath: "",
                problem: "cannot read file",
                allowed: "path to an existing, readable file"
            )
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(
                location: .wholeFile(path),
                keyPath: "",
                problem: "is not valid UTF-8 text",
                allowed: "UTF-8 encoded YAML"
            )
        }
        return try parse(yaml: text, file: path, environment: environment)
    }

    /// Parses YAML text; `file` is only used to label locations. An empty document yields a
    /// null root, which behaves like an empty mapping for optional reads.
    public static func parse(yaml: String, file: String, environment: [String: String]) throws -> ConfigNode {
        // Editors on Windows often save a byte-order mark; Yams rejects one in a String,
        // and editors do not count it as a column, so it is simply dropped.
        var text = yaml
        if text.unicodeScalars.first == "\u{FEFF}" {
            text = String(text.unicodeScalars.dropFirst())
        }
        let shielded = EnvironmentInterpolation.shieldingBraces(in: text)
        let composed = try DuplicateKeyRecovery.compose(yaml: shielded ?? text, file: file)
        guard let root = composed.root else {
            return ConfigNode(kind: .null, location: SourceLocation(file: file, line: 1, column: 1), keyPath: "")
        }
        var converter = YAMLTreeConverter(
            file: file,
            environment: environment,
            renamedKeys: composed.renamedKeys,
            unshield: shielded != nil
        )
        return try converter.convert(root, keyPath: "")
    }

    /// Maps a Yams error to a positioned `ConfigError`. Yams' own descriptions span several
    /// lines (they include a source snippet), so only the problem text is kept.
    static func configError(from error: YamlError, file: String) -> ConfigError {
        func location(_ mark: Mark) -> SourceLocation {
            SourceLocation(file: file, line: mark.line, column: mark.column)
        }
        func invalid(_ context: YamlError.Context?, _ problem: String, _ mark: Mark) -> ConfigError {
            var text = "invalid YAML: \(problem)"
            if let context {
                text += " (\(context.text) at \(context.mark.line):\(context.mark.column))"
            }
            return ConfigError(location: location(mark), keyPath: "", problem: text)
        }
        switch error {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return invalid(context, problem, mark)
        case let .reader(problem, offset, _, yaml):
            let position = offset.map { lineAndColumn(ofCharacterOffset: $0, in: yaml) }
            return ConfigError(
                location: position.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
                    ?? .wholeFile(file),
                keyPath: "",
                problem: "invalid YAML input: \(problem)"
            )
        case let .duplicatedKeysInMapping(duplicates, context):
            return ConfigError(
                location: location(context.mark),
                keyPath: "",
                value: duplicates.first.map { "\"" + ConfigRedaction.escape(EnvironmentInterpolation.unshield($0)) + "\"" },
                problem: "is a duplicate key",
                allowed: "each key once per mapping"
            )
        default:
            return ConfigError(location: .wholeFile(file), keyPath: "", problem: "cannot parse YAML: \(error)")
        }
    }

    /// Yams reports reader errors as a Character offset; convert it to the 1-based
    /// line/scalar-column form used everywhere else.
    static func lineAndColumn(ofCharacterOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for character in text.prefix(offset) {
            if character.isNewline {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        return (line, column)
    }
}
