// SPDX-License-Identifier: Apache-2.0

import Yams

/// Converts a composed Yams tree into `ConfigNode`s: assigns key paths, checks keys,
/// applies `<<` merges and interpolates environment variables into scalars.
///
/// Interpolation happens here, per scalar, so that an undefined variable is reported at
/// the exact value that uses it, and so that typed reads later see the final text
/// (`${PORT:-7880}` reads as an integer).
struct YAMLTreeConverter {
    let file: String
    let environment: [String: String]
    /// Placeholder → original key, from `DuplicateKeyRecovery`.
    let renamedKeys: [String: String]
    /// Whether `${...}` braces were shielded before parsing (see `EnvironmentInterpolation`).
    let unshield: Bool

    /// Aliases are shared in Yams' tree but expanded here; this bounds a "billion laughs"
    /// document to a size that cannot exhaust memory.
    static let maxNodes = 200_000
    private var nodeCount = 0

    init(file: String, environment: [String: String], renamedKeys: [String: String], unshield: Bool) {
        self.file = file
        self.environment = environment
        self.renamedKeys = renamedKeys
        self.unshield = unshield
    }

    private func restored(_ text: String) -> String {
        unshield ? EnvironmentInterpolation.unshield(text) : text
    }

    mutating func convert(_ node: Yams.Node, keyPath: String) throws -> ConfigNode {
        let location = self.location(node)
        nodeCount += 1
        guard nodeCount <= Self.maxNodes else {
            throw ConfigError(
                location: location,
                keyPath: keyPath,
                problem: "document expands to more than \(Self.maxNodes) values through aliases",
                allowed: "at most \(Self.maxNodes) values after alias expansion"
            )
        }
        switch node {
        case .scalar(let scalar):
            if node.tag.rawValue == Tag.Name.null.rawValue {
                return ConfigNode(kind: .null, location: location, keyPath: keyPath)
            }
            return try interpolated(restored(scalar.string), location: location, keyPath: keyPath)
        case .sequence(let sequence):
            var items: [ConfigNode] = []
            items.reserveCapacity(sequence.count)
            for (index, item) in sequence.enumerated() {
                items.append(try convert(item, keyPath: ConfigKeyPath.element(keyPath, index: index)))
            }
            return ConfigNode(kind: .sequence(items), location: location, keyPath: keyPath)
        case .mapping(let mapping):
            let entries = try convertEntries(mapping, keyPath: keyPath)
            return ConfigNode(kind: .mapping(entries), location: location, keyPath: keyPath)
        case .alias:
            // `Yams.compose` resolves aliases itself; an unresolved one means a Yams change.
            throw ConfigError(location: location, keyPath: keyPath, problem: "is an unresolved alias",
                              allowed: "aliases to anchors defined earlier in the file")
        }
    }

    private mutating func convertEntries(_ mapping: Yams.Node.Mapping, keyPath: String) throws -> [ConfigNode.Entry] {
        var entries: [ConfigNode.Entry] = []
        var seen: [String: SourceLocation] = [:]
        var merge: (insertAt: Int, sources: [Yams.Node])?

        for (keyNode, valueNode) in mapping {
            let keyLocation = location(keyNode)
            let key = try keyText(keyNode, parentPath: keyPath)
            if let first = seen[key] {
                throw ConfigError(
                    location: keyLocation,
                    keyPath: ConfigKeyPath.child(keyPath, key: key),
                    problem: "duplicate key, first defined at \(first.line):\(first.column)",
                    allowed: "each key once per mapping"
                )
            }
            seen[key] = keyLocation
            if key == "<<", isMergeKey(keyNode) {
                merge = (entries.count, try mergeSources(valueNode, keyPath: keyPath))
                continue
            }
            let value = try convert(valueNode, keyPath: ConfigKeyPath.child(keyPath, key: key))
            entries.append(ConfigNode.Entry(key: key, keyLocation: keyLocation, value: value))
        }

        // YAML merge semantics: keys written in this mapping win over merged ones, and
        // earlier merge sources win over later ones. Merged keys take the `<<` position.
        if let merge {
            var merged: [ConfigNode.Entry] = []
            for source in merge.sources {
                guard case .mapping(let sourceMapping) = source else { continue }
                for entry in try convertEntries(sourceMapping, keyPath: keyPath) where seen[entry.key] == nil {
                    seen[entry.key] = entry.keyLocation
                    merged.append(entry)
                }
            }
            entries.insert(contentsOf: merged, at: merge.insertAt)
        }
        return entries
    }

    /// Keys are names, not values: they are used as written (no interpolation), and any
    /// scalar spelling is accepted (`404`, `on`) because a key is never typed. Null and
    /// collection keys cannot name a setting and are rejected.
    private func keyText(_ node: Yams.Node, parentPath: String) throws -> String {
        let shown: String
        switch node {
        case .scalar(let scalar):
            if let original = renamedKeys[scalar.string] {
                return restored(original)
            }
            guard node.tag.rawValue != Tag.Name.null.rawValue else {
                shown = "<null>"
                break
            }
            return restored(scalar.string)
        case .sequence: shown = "<sequence>"
        case .mapping: shown = "<mapping>"
        case .alias: shown = "<alias>"
        }
        throw ConfigError(
            location: location(node),
            keyPath: parentPath,
            value: shown,
            problem: "is not allowed as a key",
            allowed: "string keys"
        )
    }

    private func isMergeKey(_ node: Yams.Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        // A renamed duplicate `<<` was a merge key too (Yams only flags keys with equal tags).
        return renamedKeys[scalar.string] == "<<" || node.tag.rawValue == Tag.Name.merge.rawValue
    }

    private func mergeSources(_ value: Yams.Node, keyPath: String) throws -> [Yams.Node] {
        switch value {
        case .mapping:
            return [value]
        case .sequence(let sequence) where sequence.allSatisfy({ $0.mapping != nil }):
            return Array(sequence)
        default:
            let shown: String
            switch value {
            case .scalar(let scalar): shown = ConfigRedaction.display(restored(scalar.string), sensitive: ConfigRedaction.isSensitive(keyPath))
            case .sequence: shown = "<sequence>"
            default: shown = "<alias>"
            }
            throw ConfigError(
                location: location(value),
                keyPath: ConfigKeyPath.child(keyPath, key: "<<"),
                value: shown,
                problem: "cannot be merged",
                allowed: "a mapping or a sequence of mappings, usually *alias"
            )
        }
    }

    private func interpolated(_ raw: String, location: SourceLocation, keyPath: String) throws -> ConfigNode {
        let pathSensitive = ConfigRedaction.isSensitive(keyPath)
        do {
            let result = try EnvironmentInterpolation.interpolate(raw, environment: environment)
            let sensitive = pathSensitive || result.variables.contains(where: ConfigRedaction.isSensitive)
            return ConfigNode(kind: .scalar(result.value), location: location, keyPath: keyPath, isSensitive: sensitive)
        } catch {
            let forms = "${NAME}, ${NAME:-default}, or $$ for a literal $"
            let problem: String
            let allowed: String
            var sensitive = pathSensitive
            switch error {
            case .undefined(let name):
                sensitive = sensitive || ConfigRedaction.isSensitive(name)
                problem = "uses environment variable \(name), which is not set"
                allowed = "set \(name), or give a default with ${\(name):-default}"
            case .unterminated:
                problem = "has a ${ without a closing }"
                allowed = forms
            case .invalidName(let name):
                problem = "has an invalid variable name \"\(ConfigRedaction.escape(name))\""
                allowed = "names of letters, digits and _ not starting with a digit, in " + forms
            case .unsupported:
                problem = "uses an unsupported ${...} form"
                allowed = forms
            }
            throw ConfigError(
                location: location,
                keyPath: keyPath,
                value: ConfigRedaction.display(raw, sensitive: sensitive),
                problem: problem,
                allowed: allowed
            )
        }
    }

    private func location(_ node: Yams.Node) -> SourceLocation {
        guard let mark = node.mark else { return SourceLocation(file: file, line: 1, column: 1) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }
}
