// SPDX-License-Identifier: Apache-2.0

import ParleyWebSocket

/// Why joining a room, resuming, or running a worker failed. Each case's description is one
/// line naming the cause, fit for an operator's log (tokens never appear in it).
public enum LiveKitConnectError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The LiveKit URL itself is unusable.
    case invalidURL(String)
    /// The server refused the token (HTTP 401): expired, not yet valid, wrong key or secret,
    /// missing grant. `reason` is the server's text. Never retried.
    case unauthorized(reason: String)
    /// The server refused the upgrade for another reason (400 bad request, 404 room not found,
    /// 503 limits…). Only 5xx are retried.
    case rejected(status: Int, reason: String)
    /// No connection: DNS, refused, TLS failure.
    case unreachable(String)
    /// A step did not finish in time (`step` names it: "join response", "subscriber connection"…).
    case timeout(step: String)
    /// The server sent something the protocol does not allow at that point.
    case protocolViolation(String)
    /// The server told us to leave (LeaveRequest) and not to come back.
    case removed(reason: String)
    /// A peer connection could not be set up (negotiation, ICE, DTLS).
    case transport(String)
    /// The room was closed locally.
    case closed

    public var description: String {
        switch self {
        case .invalidURL(let text): return "invalid LiveKit URL: \(text)"
        case .unauthorized(let reason): return "LiveKit refused the access token (401): \(reason)"
        case .rejected(let status, let reason): return "LiveKit refused the connection (HTTP \(status)): \(reason)"
        case .unreachable(let text): return "cannot reach LiveKit: \(text)"
        case .timeout(let step): return "timed out waiting for the \(step)"
        case .protocolViolation(let text): return "LiveKit protocol error: \(text)"
        case .removed(let reason): return "removed from the room by the server: \(reason)"
        case .transport(let text): return "media transport failed: \(text)"
        case .closed: return "the room connection is closed"
        }
    }

    /// Whether trying again could help (a later attempt may get a working server).
    public var isRetryable: Bool {
        switch self {
        case .unreachable, .timeout, .transport: return true
        case .rejected(let status, _): return status >= 500
        default: return false
        }
    }
}

extension LiveKitConnectError {
    /// Why opening a LiveKit WebSocket (`/rtc` or `/agent`) failed. `step` names the connection
    /// for a timeout; `rejection` is the reason to report for a refused upgrade (the caller may
    /// have asked the server for a better one than the upgrade's status line).
    init(connecting error: WebSocketError, step: String, rejection: (_ status: Int, _ reason: String) -> String) {
        switch error {
        case .upgradeRejected(let status, let reason):
            let text = rejection(status, reason)
            self = status == 401 ? .unauthorized(reason: text) : .rejected(status: status, reason: text)
        case .timeout: self = .timeout(step: step)
        case .invalidURL(let text): self = .invalidURL(text)
        case .connectFailed(let text): self = .unreachable(text)
        case .closed(let info): self = .unreachable("closed during the upgrade: \(info.error ?? info.reason)")
        case .messageTooLarge(let size): self = .protocolViolation("message of \(size) bytes")
        }
    }
}
