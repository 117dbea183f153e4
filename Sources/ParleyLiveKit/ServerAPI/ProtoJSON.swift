// SPDX-License-Identifier: Apache-2.0

import Foundation

/// The proto3 JSON mapping as LiveKit's Twirp server speaks it (docs/livekit-protocol.md §2
/// "Transport"): proto field names, every field present, int64 as a JSON string, enums as names,
/// bytes as base64. Decoding is lenient in the ways protojson allows a sender to vary: absent or
/// null fields take the proto default, int64 may be a number, enums may be numbers.
protocol ProtoDefaultValue { static var protoDefault: Self { get } }
extension String: ProtoDefaultValue { static var protoDefault: String { "" } }
extension Bool: ProtoDefaultValue { static var protoDefault: Bool { false } }
extension UInt32: ProtoDefaultValue { static var protoDefault: UInt32 { 0 } }
extension Int32: ProtoDefaultValue { static var protoDefault: Int32 { 0 } }
extension Array: ProtoDefaultValue { static var protoDefault: Array { [] } }
extension Dictionary: ProtoDefaultValue { static var protoDefault: Dictionary { [:] } }

extension KeyedDecodingContainer {
    /// A field, or its proto default when absent or null.
    func proto<T: Decodable & ProtoDefaultValue>(_ key: Key) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? T.protoDefault
    }

    /// An (u)int64 field: a JSON string per protojson, but a number is accepted too.
    func protoInt64(_ key: Key) throws -> Int64 {
        guard contains(key), try !decodeNil(forKey: key) else { return 0 }
        if let text = try? decode(String.self, forKey: key) {
            guard let value = Int64(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not an int64: \(text)")
            }
            return value
        }
        return try decode(Int64.self, forKey: key)
    }
}

extension KeyedEncodingContainer {
    /// int64 goes out as a string, as protojson writes it (JSON numbers lose precision past 2^53).
    mutating func encodeProtoInt64(_ value: Int64?, forKey key: Key) throws {
        if let value { try encode(String(value), forKey: key) }
    }
}

/// A proto enum carried by name. A struct rather than a Swift enum so a value added to the proto
/// after this was written decodes (as its name, or `#<n>`) instead of failing the whole response.
public protocol ProtoEnum: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible where RawValue == String {
    init(rawValue: String)
    /// Proto number → name, for senders that use numbers.
    static var names: [Int: String] { get }
}

extension ProtoEnum {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let number = try? c.decode(Int.self) {
            self.init(rawValue: Self.names[number] ?? "#\(number)")
        } else {
            self.init(rawValue: try c.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    public var description: String { rawValue }
}

/// The empty message (`DeleteRoomResponse`, `SendDataResponse`, …): any object decodes.
struct ProtoEmpty: Codable, Sendable {}
