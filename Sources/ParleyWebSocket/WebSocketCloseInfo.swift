// SPDX-License-Identifier: Apache-2.0

/// Why a socket ended.
///
/// - A clean close (either side sent a close frame) has `code` (and maybe `reason`) and no `error`.
///   When we closed first, `code`/`reason` are the ones we sent.
/// - A socket that died without a close handshake (peer vanished, reset, TLS failure) has
///   `code == nil` and `error` set. So does one we closed for a protocol reason (e.g. 1009).
public struct WebSocketCloseInfo: Sendable, Equatable, CustomStringConvertible {
    public var code: UInt16?
    public var reason: String
    public var error: String?

    public init(code: UInt16?, reason: String, error: String? = nil) {
        self.code = code
        self.reason = reason
        self.error = error
    }

    public var description: String {
        var text = code.map { "code \($0)" } ?? "no close code"
        if !reason.isEmpty { text += " (\(reason))" }
        if let error { text += ", error: \(error)" }
        return text
    }
}
