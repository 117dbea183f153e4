// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Reads providers' JSON text messages into `Decodable` shapes (snake_case keys), turning every
/// decoding problem into an `STTProtocolError` that says what was wrong: not JSON at all, or
/// which field of which message type was missing or of the wrong type.
public struct JSONMessageReader {
    private let decoder: JSONDecoder

    public init() {
        decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
    }

    private struct Envelope: Decodable {
        var type: String?
    }

    /// The message's `"type"` (nil when it has none) and its bytes for `decode`.
    public func type(of text: String) throws(STTProtocolError) -> (type: String?, data: Data) {
        let data = Data(text.utf8)
        do {
            return (try decoder.decode(Envelope.self, from: data).type, data)
        } catch {
            throw Self.describe(error, messageType: nil)
        }
    }

    public func decode<T: Decodable>(_ shape: T.Type, from data: Data, messageType: String) throws(STTProtocolError) -> T {
        do {
            return try decoder.decode(shape, from: data)
        } catch {
            throw Self.describe(error, messageType: messageType)
        }
    }

    static func describe(_ error: any Error, messageType: String?) -> STTProtocolError {
        let what = messageType.map { "\($0) message" } ?? "message"
        guard let error = error as? DecodingError else { return STTProtocolError("\(what): \(error)") }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return STTProtocolError("not valid JSON")
        case .keyNotFound(let key, let context):
            return STTProtocolError("\(what) without \(path(context.codingPath + [key]))")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return STTProtocolError("\(what) with an unusable \(path(context.codingPath))")
        @unknown default:
            return STTProtocolError("\(what): \(error)")
        }
    }

    /// `channel.alternatives[0].words` (snake_case, as on the wire).
    private static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                let name = snakeCase(key.stringValue)
                text += text.isEmpty ? name : ".\(name)"
            }
        }
        return text.isEmpty ? "(top level)" : text
    }

    private static func snakeCase(_ name: String) -> String {
        var out = ""
        for c in name {
            if c.isUppercase {
                out += "_" + c.lowercased()
            } else {
                out.append(c)
            }
        }
        return out
    }
}
