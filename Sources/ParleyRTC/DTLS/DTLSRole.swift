// SPDX-License-Identifier: Apache-2.0

/// Which side of the DTLS handshake this endpoint plays (RFC 5763 §5, RFC 8842 §5.1).
/// `a=setup:active` makes the answerer the DTLS client; `a=setup:passive` the DTLS server.
/// SRTP keys follow the role: the client writes with the client keys (RFC 5764 §4.2).
public enum DTLSRole: String, Sendable, Hashable {
    case client
    case server

    /// The role for our own `a=setup` value. nil for `actpass` (not decided yet) and `holdconn`.
    public init?(localSetup: SDPSetupRole) {
        switch localSetup {
        case .active: self = .client
        case .passive: self = .server
        case .actpass, .holdconn: return nil
        }
    }

    /// The `a=setup` value that announces this role in an answer.
    public var sdpSetup: SDPSetupRole { self == .client ? .active : .passive }
}
