// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Any JSON document, decoded with `JSONDecoder` so booleans and numbers stay distinct. Request
/// bodies are read into this first, then each field is checked by hand so every error can name
/// the field and what was expected.
indirect enum JSONTree: Sendable, Decodable {
    case object([String: JSONTree], order: [String])
    case array([JSONTree])
    case scalar(JSONValue)

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: Key.self) {
            var dict: [String: JSONTree] = [:]
            var order: [String] = []
            for key in keyed.allKeys {
                dict[key.stringValue] = try keyed.decode(JSONTree.self, forKey: key)
                order.append(key.stringValue)
            }
            // JSONDecoder does not keep document order; sorted keeps error messages deterministic.
            self = .object(dict, order: order.sorted())
        } else if var unkeyed = try? decoder.unkeyedContainer() {
            var items: [JSONTree] = []
            while !unkeyed.isAtEnd { items.append(try unkeyed.decode(JSONTree.self)) }
            self = .array(items)
        } else {
            self = .scalar(try JSONValue(from: decoder))
        }
    }

    /// Parses a body; malformed JSON is a 400 naming the problem (never echoing the body).
    static func parse(_ data: Data) throws(APIError) -> JSONTree {
        if data.isEmpty { throw APIError.malformedJSON("request body is empty; expected a JSON object") }
        do {
            return try JSONDecoder().decode(JSONTree.self, from: data)
        } catch {
            throw APIError.malformedJSON("request body is not valid JSON")
        }
    }

    var typeName: String {
        switch self {
        case .object: "object"
        case .array: "array"
        case .scalar(let v): v.typeName
        }
    }
}

/// A JSON object being read field by field; `rejectUnknown` lists leftovers.
struct JSONObjectReader {
    let fields: [String: JSONTree]
    let order: [String]
    let path: String

    init(_ tree: JSONTree, path: String) throws(APIError) {
        guard case .object(let fields, let order) = tree else {
            if path.isEmpty { throw APIError.malformedJSON("request body must be a JSON object, got \(tree.typeName)") }
            throw APIError.invalid(path, "must be an object, got \(tree.typeName)")
        }
        self.fields = fields
        self.order = order
        self.path = path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// nil when absent or null.
    func string(_ key: String) throws(APIError) -> String? {
        guard let v = fields[key] else { return nil }
        switch v {
        case .scalar(.null): return nil
        case .scalar(.string(let s)): return s
        default: throw APIError.invalid(name(key), "must be a string, got \(v.typeName)")
        }
    }

    func requireString(_ key: String) throws(APIError) -> String {
        guard let s = try string(key) else {
            throw APIError(.unprocessableContent, "missing_field", "\(name(key)) is required", details: [name(key)])
        }
        return s
    }

    func object(_ key: String) throws(APIError) -> JSONObjectReader? {
        guard let v = fields[key] else { return nil }
        if case .scalar(.null) = v { return nil }
        return try JSONObjectReader(v, path: name(key))
    }

    func rejectUnknown(allowed: [String]) throws(APIError) {
        let unknown = order.filter { !allowed.contains($0) }
        guard unknown.isEmpty else {
            let named = unknown.map(name)
            throw APIError(.unprocessableContent, "unknown_fields",
                           "unknown field\(unknown.count == 1 ? "" : "s"): \(named.joined(separator: ", ")); allowed: "
                               + allowed.joined(separator: ", "), details: named)
        }
    }
}
