// SPDX-License-Identifier: Apache-2.0

/// The value of an ERROR-CODE attribute (RFC 8489 §14.8): a code 300–699 and a reason
/// phrase. On the wire the code is split into a class (hundreds, 3–6) and a number (0–99).
public struct STUNErrorCode: Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    /// UTF-8, fewer than 128 characters (RFC 8489 §14.8).
    public var reason: String

    public init(code: Int, reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The reason phrases RFC 8489 §14.8 and RFC 8445 §7.3.1.1 recommend.
    public init(code: Int) {
        self.code = code
        self.reason = STUNErrorCode.defaultReason(for: code)
    }

    public static let tryAlternate = STUNErrorCode(code: 300)
    public static let badRequest = STUNErrorCode(code: 400)
    public static let unauthenticated = STUNErrorCode(code: 401)
    public static let unknownAttribute = STUNErrorCode(code: 420)
    public static let staleNonce = STUNErrorCode(code: 438)
    /// ICE role conflict: both agents claimed the same role (RFC 8445 §7.3.1.1).
    public static let roleConflict = STUNErrorCode(code: 487)
    public static let serverError = STUNErrorCode(code: 500)

    public static func defaultReason(for code: Int) -> String {
        switch code {
        case 300: "Try Alternate"
        case 400: "Bad Request"
        case 401: "Unauthenticated"
        case 420: "Unknown Attribute"
        case 438: "Stale Nonce"
        case 487: "Role Conflict"
        case 500: "Server Error"
        default: ""
        }
    }

    public var description: String { reason.isEmpty ? "\(code)" : "\(code) \(reason)" }
}
