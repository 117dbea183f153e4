// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyRTC

/// Compact-serialised HS256 JWTs (RFC 7519 §3, RFC 7515 §3.1 / §7.1), the only form LiveKit uses.
enum JWT {
    static let header = #"{"alg":"HS256","typ":"JWT"}"#

    static func sign(claims: ClaimGrants, secret: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain value types with string keys cannot fail.
        let payload = (try? encoder.encode(claims)) ?? Data("{}".utf8)
        let signingInput = base64URL(Data(header.utf8)) + "." + base64URL(payload)
        let signature = Digest.hmacSHA256(key: Array(secret.utf8), data: Array(signingInput.utf8))
        return signingInput + "." + base64URL(Data(signature))
    }

    /// Splits and decodes a token; does not verify anything.
    static func decode(_ token: String) throws(TokenError) -> (header: [String: Any], payload: Data, signingInput: String,
                                                               signature: [UInt8]) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("expected 3 dot-separated parts, found \(parts.count)") }
        guard let headerData = base64URLDecode(parts[0]) else { throw .malformed("header is not base64url") }
        guard let payload = base64URLDecode(parts[1]) else { throw .malformed("payload is not base64url") }
        guard let signature = base64URLDecode(parts[2]) else { throw .malformed("signature is not base64url") }
        guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
            throw .malformed("header is not a JSON object")
        }
        return (header, payload, parts[0] + "." + parts[1], Array(signature))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecode(_ text: Substring) -> Data? {
        guard text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { return nil }
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}
