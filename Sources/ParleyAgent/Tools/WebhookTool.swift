// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ParleyCore

/// A tool declared in config and run by an HTTP call: the model's arguments (a JSON object)
/// are POSTed to `url`, and the response body is the result the model reads.
///
/// ```yaml
/// agent:
///   max_tool_steps: 3
///   tools:
///     - name: get_weather
///       description: The weather now in a city
///       url: https://tools.example.com/weather
///       headers: { Authorization: "Bearer ${WEATHER_TOKEN}" }
///       timeout_ms: 5000
///       parameters:
///         type: object
///         properties: { city: { type: string, description: "City name" } }
///         required: [city]
/// ```
/// Header values may hold secrets: they are sent, never logged or quoted in errors.
public struct WebhookTool: AgentTool {
    public struct Spec: Sendable, Hashable {
        public var name: String
        public var description: String
        public var url: URL
        public var headers: [String: String]
        public var timeoutMs: Int
        public var parametersSchemaJSON: String

        public init(name: String, description: String, url: URL, headers: [String: String] = [:], timeoutMs: Int = 10_000,
                    parametersSchemaJSON: String = #"{"type": "object", "properties": {}}"#) {
            self.name = name
            self.description = description
            self.url = url
            self.headers = headers
            self.timeoutMs = timeoutMs
            self.parametersSchemaJSON = parametersSchemaJSON
        }
    }

    public let spec: Spec
    public var definition: ToolDefinition {
        ToolDefinition(name: spec.name, description: spec.description, parametersSchemaJSON: spec.parametersSchemaJSON)
    }

    public init(spec: Spec) { self.spec = spec }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public func call(argumentsJSON: String) async throws -> String {
        let arguments = argumentsJSON.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "{}" : argumentsJSON
        guard let object = try? JSONSerialization.jsonObject(with: Data(arguments.utf8)), object is [String: Any] else {
            throw Failure(description: "the arguments are not a JSON object: \(arguments.prefix(200))")
        }
        var request = URLRequest(url: spec.url)
        request.httpMethod = "POST"
        request.timeoutInterval = Double(spec.timeoutMs) / 1000
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (name, value) in spec.headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = Data(arguments.utf8)
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw Failure(description: "\(spec.name): \(spec.url.host ?? "the tool server") did not answer: \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let body = String(decoding: data.prefix(Self.maxResultBytes), as: UTF8.self)
        guard (200..<300).contains(status) else {
            throw Failure(description: "\(spec.name): HTTP \(status): \(body.prefix(200))")
        }
        return body
    }

    /// What the model gets at most: a tool result goes into every later prompt.
    static let maxResultBytes = 16_384

    /// Reads one `agent.tools` entry.
    static func spec(from node: ConfigNode) throws -> Spec {
        try node.rejectUnknownKeys(allowed: ["name", "description", "url", "headers", "timeout_ms", "parameters"])
        let nameNode = try node.require("name")
        let name = try nameNode.string()
        guard (1...64).contains(name.count),
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw nameNode.error("is not a valid tool name", allowed: "1-64 ASCII letters, digits, '_' or '-'")
        }
        let description = try node.require("description").string()
        let urlNode = try node.require("url")
        let urlText = try urlNode.string()
        guard let url = URL(string: urlText), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host != nil else {
            throw urlNode.error("is not an http(s) URL", allowed: "https://host/path")
        }
        var headers: [String: String] = [:]
        if let h = node["headers"], !h.isNull {
            for entry in try h.mapping() { headers[entry.key] = try entry.value.string() }
        }
        let timeout = try node.int("timeout_ms", default: 10_000, in: 100...120_000)
        var schema = #"{"type": "object", "properties": {}}"#
        if let p = node["parameters"], !p.isNull {
            _ = try p.mapping()
            schema = JSONText.encode(p)
        }
        return Spec(name: name, description: description, url: url, headers: headers, timeoutMs: timeout,
                    parametersSchemaJSON: schema)
    }
}

/// A config subtree as JSON text (for JSON Schema written as YAML). YAML scalars have no type
/// of their own here: `true`/`false` become booleans, numbers numbers, `null`/`~` null, the
/// rest strings — what a JSON Schema needs.
enum JSONText {
    static func encode(_ node: ConfigNode) -> String {
        switch node.kind {
        case .null: return "null"
        case .scalar(let s):
            if s == "true" || s == "false" { return s }
            if s == "null" || s == "~" { return "null" }
            if Double(s) != nil, s.first.map({ $0.isNumber || $0 == "-" }) == true, !s.hasSuffix(".") { return s }
            return jsonQuoted(s)
        case .sequence(let items):
            return "[" + items.map(encode).joined(separator: ", ") + "]"
        case .mapping(let entries):
            return "{" + entries.map { "\(jsonQuoted($0.key)): \(encode($0.value))" }.joined(separator: ", ") + "}"
        }
    }
}
