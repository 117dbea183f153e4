// SPDX-License-Identifier: Apache-2.0

import Foundation

/// A JSON scalar as it appears in an `agent_config` (strings and booleans; numbers kept for
/// forward compatibility). Encodes back to the same JSON type.
public enum JSONValue: Sendable, Hashable, Codable {
    case string(String)
    case bool(Bool)
    case number(Double)
    case null

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .null: try c.encodeNil()
        }
    }

    var typeName: String {
        switch self {
        case .string: "string"
        case .bool: "boolean"
        case .number: "number"
        case .null: "null"
        }
    }
}
