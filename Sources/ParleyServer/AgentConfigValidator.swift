// SPDX-License-Identifier: Apache-2.0

import ParleyAgent

/// Checks an `agent_config` / `agentConfig` object against the seed-004 metadata contract
/// (`SessionOverrides.knownKeys`): unknown keys are a 422 that names them, and every known key
/// must have its type (strings, or booleans for the toggles).
enum AgentConfigValidator {
    static let booleanKeys: Set<String> = ["realtime", "vad_enabled", "turn_detection_enabled",
                                           "noise_cancellation_enabled"]
    static let maxStringLength = 8192

    static func validate(_ reader: JSONObjectReader) throws(APIError) -> [String: JSONValue] {
        let unknown = reader.order.filter { !SessionOverrides.knownKeys.contains($0) }
        if !unknown.isEmpty {
            throw APIError(.unprocessableContent, "unknown_agent_config_keys",
                           "\(reader.path) has unknown key\(unknown.count == 1 ? "" : "s"): "
                               + unknown.joined(separator: ", ") + "; allowed: "
                               + SessionOverrides.knownKeys.joined(separator: ", "),
                           details: unknown)
        }
        var out: [String: JSONValue] = [:]
        for key in reader.order {
            guard case .scalar(let value) = reader.fields[key]! else {
                throw APIError.invalid(reader.name(key), "must be a \(booleanKeys.contains(key) ? "boolean" : "string"), "
                                       + "got \(reader.fields[key]!.typeName)")
            }
            if case .null = value { continue }
            if booleanKeys.contains(key) {
                guard case .bool = value else {
                    throw APIError.invalid(reader.name(key), "must be a boolean, got \(value.typeName)")
                }
            } else {
                guard case .string(let s) = value else {
                    throw APIError.invalid(reader.name(key), "must be a string, got \(value.typeName)")
                }
                guard s.utf8.count <= maxStringLength else {
                    throw APIError.invalid(reader.name(key), "is longer than \(maxStringLength) bytes")
                }
            }
            out[key] = value
        }
        return out
    }
}
