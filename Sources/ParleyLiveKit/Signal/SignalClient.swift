// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyCore
import ParleyLiveKitProto
import ParleyWebSocket
import SwiftProtobuf
import Synchronization

/// One LiveKit signal connection: the `/rtc` WebSocket carrying one binary protobuf
/// `SignalRequest` up and one `SignalResponse` down per message (livekit-protocol.md §3).
///
/// ```
///   send(SignalRequest) ──serialize──► WebSocketConnection ──► server
///   responses ◄── decode (bad bytes: logged, skipped) ◄── messages ◄── server
///        │ every message refreshes `lastReceived`
///   keepalive task: ping_req every ping_interval; nothing received for ping_timeout → close(.pingTimeout)
/// ```
///
/// It knows nothing about rooms: `Room` reads `responses` in order on its actor and decides.
final class SignalClient: Sendable {
    /// Why the socket ended, as the room sees it.
    enum EndReason: Sendable, Equatable, CustomStringConvertible {
        case closedByServer(code: UInt16?, reason: String)
        case failed(String)
        case pingTimeout(seconds: Int)
        case closedLocally

        var description: String {
            switch self {
            case .closedByServer(let code, let reason):
                return "server closed the signal socket" + (code.map { " (\($0))" } ?? "") + (reason.isEmpty ? "" : ": \(reason)")
            case .failed(let text): return "signal socket failed: \(text)"
            case .pingTimeout(let seconds): return "no signal message for \(seconds) s (ping timeout)"
            case .closedLocally: return "closed locally"
            }
        }
    }

    private struct State {
        var lastReceived = ContinuousClock.now
        var rtt: Int64 = 0
        var end: EndReason?
        var keepalive: Task<Void, Never>?
    }

    let connection: WebSocketConnection
    let responses: AsyncStream<Livekit_SignalResponse>
    private let state = Locked(State())
    private let logger: Logger
    private let reader: Task<Void, Never>

    private init(connection: WebSocketConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
        let (stream, continuation) = AsyncStream<Livekit_SignalResponse>.makeStream()
        responses = stream
        let state = self.state
        reader = Task { [logger] in
            for await message in connection.messages {
                guard case .binary(let bytes) = message else {
                    logger.warning("ignoring a text frame on the signal socket (we asked for binary protobuf)")
                    continue
                }
                state.withLock { $0.lastReceived = .now }
                do {
                    let response = try Livekit_SignalResponse(serializedBytes: bytes)
                    if case .pongResp(let pong)? = response.message {
                        let now = Int64(Date().timeIntervalSince1970 * 1000)
                        state.withLock { $0.rtt = max(0, now - pong.lastPingTimestamp) }
                    }
                    continuation.yield(response)
                } catch {
                    logger.warning("dropping an undecodable signal message", metadata: ["bytes": "\(bytes.count)", "error": "\(error)"])
                }
            }
            let info = connection.closeInfo
            state.withLock { s in
                if s.end == nil {
                    if let error = info?.error {
                        s.end = .failed(error)
                    } else {
                        s.end = .closedByServer(code: info?.code, reason: info?.reason ?? "")
                    }
                }
                s.keepalive?.cancel()
            }
            continuation.finish()
        }
    }

    deinit {
        reader.cancel()
        state.withLock { $0.keepalive?.cancel() }
        connection.close()
    }

    /// Opens `/rtc`. An upgrade refused with 401/4xx is explained by asking `/rtc/validate`,
    /// which returns the server's reason as text (§3 "Endpoints").
    static func connect(
        url: SignalURL, token: String, query: SignalQuery, timeout: Duration, logger: Logger
    ) async throws(LiveKitConnectError) -> SignalClient {
        var request = WebSocketRequest(url: url.rtc(query), headers: [(name: "Authorization", value: "Bearer \(token)")])
        request.connectTimeout = timeout
        request.maxMessageSize = 2 << 20  // SignalMessageSizeLimit
        do {
            let connection = try await WebSocketConnection.connect(request)
            return SignalClient(connection: connection, logger: logger)
        } catch {
            throw await Self.explain(error, url: url, token: token, query: query)
        }
    }

    static func explain(_ error: WebSocketError, url: SignalURL, token: String, query: SignalQuery) async -> LiveKitConnectError {
        var serverReason: String?
        if case .upgradeRejected = error { serverReason = await validateReason(url: url, token: token, query: query) }
        return LiveKitConnectError(connecting: error, step: "signal connection") { status, reason in
            serverReason ?? (reason.isEmpty ? "HTTP \(status)" : reason)
        }
    }

    /// The body of `GET /rtc/validate`: the server's own words for a refused join.
    static func validateReason(url: SignalURL, token: String, query: SignalQuery) async -> String? {
        guard let validate = URL(string: url.rtcValidate(query)) else { return nil }
        let request = HTTPRequest(
            url: validate, method: "GET", headers: ["Authorization": "Bearer \(token)"], timeout: .seconds(5))
        guard let response = try? await URLSessionTransport().send(request) else { return nil }
        // The server echoes the token it refused ("invalid token: eyJ…"): redact before anything
        // else sees the text, and before truncation could leave a partial token behind.
        let text = String(decoding: response.body.prefix(4096), as: UTF8.self)
            .replacing(#/eyJ[A-Za-z0-9_\-.]*/#, with: "<redacted token>")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : String(text.prefix(300))
    }

    // MARK: - Sending

    /// Sends one request. False when the socket is gone (the room notices through `responses` ending).
    @discardableResult
    func send(_ request: Livekit_SignalRequest) -> Bool {
        guard let bytes: [UInt8] = try? request.serializedBytes() else { return false }
        do {
            try connection.send(.binary(bytes))
            return true
        } catch {
            return false
        }
    }

    /// Starts the ping loop (§3 "Ping"): `ping_req` every `interval`; if nothing at all arrives
    /// for `timeout`, the connection counts as dead and is closed with `.pingTimeout`.
    func startKeepalive(interval: Duration, timeout: Duration) {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: min(interval, .seconds(1)))
                guard let self else { return }
                if self.pingIfDue(interval: interval, timeout: timeout) == false { return }
            }
        }
        state.withLock { s in
            s.keepalive?.cancel()
            s.keepalive = task
        }
    }

    private let lastPing = Locked(ContinuousClock.now - .seconds(3600))

    /// One keepalive tick; false once the connection was declared dead.
    private func pingIfDue(interval: Duration, timeout: Duration) -> Bool {
        let now = ContinuousClock.now
        let (silent, rtt) = state.withLock { (now - $0.lastReceived, $0.rtt) }
        if silent > timeout {
            let seconds = Int(timeout.components.seconds)
            logger.warning("signal connection silent; treating it as lost", metadata: ["timeout_s": "\(seconds)"])
            close(reason: .pingTimeout(seconds: seconds))
            return false
        }
        let due = lastPing.withLock { last -> Bool in
            guard now - last >= interval else { return false }
            last = now
            return true
        }
        if due {
            var request = Livekit_SignalRequest()
            var ping = Livekit_Ping()
            ping.timestamp = Int64(Date().timeIntervalSince1970 * 1000)
            ping.rtt = rtt
            request.pingReq = ping
            send(request)
        }
        return true
    }

    /// Round-trip time of the last ping, milliseconds.
    var rtt: Int64 { state.withLock { $0.rtt } }

    /// Why the socket ended (nil while open).
    var endReason: EndReason? { state.withLock { $0.end } }

    /// Closes the socket; `responses` finishes. The first reason recorded wins.
    func close(reason: EndReason = .closedLocally) {
        state.withLock { s in
            if s.end == nil { s.end = reason }
            s.keepalive?.cancel()
        }
        connection.close(code: 1000, reason: "")
    }
}
