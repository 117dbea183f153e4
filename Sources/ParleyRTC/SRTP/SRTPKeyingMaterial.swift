// SPDX-License-Identifier: Apache-2.0

/// The SRTP master keys and salts exported from a DTLS handshake with the
/// "EXTRACTOR-dtls_srtp" label (RFC 5764 §4.2, RFC 5705), split per RFC 5764 §4.2:
///
///     client_write_SRTP_master_key | server_write_SRTP_master_key |
///     client_write_SRTP_master_salt | server_write_SRTP_master_salt
///
/// The DTLS client protects what it sends with the client key and salt; the server with the
/// server's. `description` never shows key bytes, so logging a value of this type is safe.
public struct SRTPKeyingMaterial: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let profile: SRTPProtectionProfile
    let clientWriteKey: [UInt8]
    let serverWriteKey: [UInt8]
    let clientWriteSalt: [UInt8]
    let serverWriteSalt: [UInt8]

    /// Splits exporter output of exactly `profile.keyingMaterialLength` bytes; nil otherwise.
    public init?(profile: SRTPProtectionProfile, exported: [UInt8]) {
        guard exported.count == profile.keyingMaterialLength else { return nil }
        let k = profile.keyLength
        let s = profile.saltLength
        self.profile = profile
        clientWriteKey = Array(exported[0..<k])
        serverWriteKey = Array(exported[k..<2 * k])
        clientWriteSalt = Array(exported[2 * k..<2 * k + s])
        serverWriteSalt = Array(exported[2 * k + s..<2 * k + 2 * s])
    }

    /// key ‖ salt, the layout libsrtp2 takes, for what `role` sends (local) and receives (remote).
    func masterKeys(for role: DTLSRole) -> (local: [UInt8], remote: [UInt8]) {
        let client = clientWriteKey + clientWriteSalt
        let server = serverWriteKey + serverWriteSalt
        return role == .client ? (client, server) : (server, client)
    }

    public var description: String { "SRTPKeyingMaterial(\(profile), keys redacted)" }
    public var debugDescription: String { description }
}
