// SPDX-License-Identifier: Apache-2.0

// Attributes that set up the DTLS transport.

/// `a=fingerprint:<hash function> <hex:hex:...>` (RFC 8122 §5): the hash of the peer's DTLS
/// certificate; the handshake is accepted only if the certificate matches it (RFC 8827 §6.5).
/// WebRTC uses `sha-256` (RFC 8829 §5.2.1); aiortc also lists sha-384 and sha-512.
public struct SDPFingerprint: Sendable, Hashable, CustomStringConvertible {
    /// The hash function's name as registered, compared case-insensitively ("sha-256").
    public var algorithm: String
    public var bytes: [UInt8]

    public init(algorithm: String, bytes: [UInt8]) {
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// The SHA-256 fingerprint of a DER-encoded certificate.
    public static func sha256(certificateDER: [UInt8]) -> SDPFingerprint {
        SDPFingerprint(algorithm: "sha-256", bytes: Digest.sha256(certificateDER))
    }

    init(sdpValue value: Substring) throws(SDPValueError) {
        let fields = SDPSyntax.fields(value)
        guard fields.count == 2, SDPSyntax.isToken(fields[0]) else {
            throw SDPValueError("fingerprint needs \"<hash function> <hex bytes separated by ':'>\"")
        }
        var bytes: [UInt8] = []
        for pair in fields[1].split(byte: 0x3A, omittingEmpty: false) {
            let utf8 = Array(pair.utf8)
            guard utf8.count == 2, let high = IPAddress.hexValue(utf8[0]), let low = IPAddress.hexValue(utf8[1]) else {
                throw SDPValueError("fingerprint \"\(fields[1])\" is not hex bytes separated by ':' (RFC 8122 §5)")
            }
            bytes.append(high << 4 | low)
        }
        algorithm = String(fields[0])
        self.bytes = bytes
    }

    /// Upper-case hex pairs, as RFC 8122 §5 specifies.
    public var hexValue: String {
        bytes.map { hex2($0).uppercased() }.joined(separator: ":")
    }

    var sdpValue: String { "\(algorithm) \(hexValue)" }

    public var description: String { sdpValue }

    /// Same algorithm (case-insensitive) and same bytes.
    public func matches(_ other: SDPFingerprint) -> Bool {
        algorithm.lowercased() == other.algorithm.lowercased() && bytes == other.bytes
    }
}

/// `a=setup` (RFC 4145 §4, RFC 8842 §5.1): who starts the DTLS handshake. Offers say
/// `actpass`; answers say `active` (DTLS client) or `passive` (DTLS server).
public enum SDPSetupRole: String, Sendable, Hashable, CaseIterable {
    case actpass, active, passive, holdconn

    /// The answer's role for an offer with this role, preferring `preferred` when the offer
    /// leaves the choice (actpass). nil for holdconn (no connection wanted).
    public func answerRole(preferring preferred: SDPSetupRole = .passive) -> SDPSetupRole? {
        switch self {
        case .actpass: preferred == .active ? .active : .passive
        case .active: .passive
        case .passive: .active
        case .holdconn: nil
        }
    }
}
