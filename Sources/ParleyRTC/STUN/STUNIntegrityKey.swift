// SPDX-License-Identifier: Apache-2.0

/// The HMAC key for MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 (RFC 8489 §9).
public struct STUNIntegrityKey: Sendable, Hashable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Short-term credential (RFC 8489 §9.1.1): the key is the password after OpaqueString
    /// preparation (RFC 8265). ICE passwords are made of `ice-char` (RFC 8839 §5.4: ALPHA,
    /// DIGIT, "+", "/"), on which OpaqueString is the identity, so the key is the UTF-8
    /// bytes. This is the credential every ICE connectivity check uses: the remote peer's
    /// `a=ice-pwd` for requests we send, our own for requests we receive.
    public static func shortTerm(password: String) -> STUNIntegrityKey {
        STUNIntegrityKey(bytes: Array(password.utf8))
    }

    /// Long-term credential with the MD5 algorithm (RFC 8489 §9.2.2):
    /// `MD5(username ":" OpaqueString(realm) ":" OpaqueString(password))`. Used by TURN.
    /// The caller passes already-prepared strings (no SASLprep/OpaqueString is applied here).
    public static func longTerm(username: String, realm: String, password: String) -> STUNIntegrityKey {
        STUNIntegrityKey(bytes: Digest.md5(Array("\(username):\(realm):\(password)".utf8)))
    }
}

/// Which MESSAGE-INTEGRITY attributes `STUNMessage.encode` adds (RFC 8489 §14.5, §14.6).
/// ICE peers (browsers, pion, LiveKit) use SHA-1 only; SHA-256 exists for servers that
/// advertise it through PASSWORD-ALGORITHMS.
public struct STUNIntegrityAlgorithms: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    public static let sha1 = STUNIntegrityAlgorithms(rawValue: 1)
    public static let sha256 = STUNIntegrityAlgorithms(rawValue: 2)
}
