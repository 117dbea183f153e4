// SPDX-License-Identifier: Apache-2.0

import Synchronization

/// The part of one connection that both sides touch: callers' threads (send, close, reading
/// `closeInfo`) and the service thread (delivering messages, taking the next write, reporting
/// the end). All of it sits behind one `Mutex`; nothing here calls into lws.
///
/// The lws side of the same connection (the wsi, the reassembly buffer) is `LWSSession`, which
/// only the service thread ever sees. `WebSocketConnection` is the public handle over a channel;
/// when the last handle goes away it closes the channel, while the service loop keeps the
/// channel alive until lws has destroyed the wsi.
final class WebSocketChannel: Sendable {
    enum Phase: Sendable, Equatable { case connecting, open, closing, closed }

    /// What the service thread writes on the next writable callback.
    enum Outbound: Sendable {
        case message(WebSocketMessage)
        case close(code: UInt16, reason: String)
        case nothing
    }

    private struct State {
        var phase: Phase = .connecting
        var connectWaiter: CheckedContinuation<Result<Void, WebSocketError>, Never>?
        var connectOutcome: Result<Void, WebSocketError>?
        /// FIFO of messages not yet handed to lws; `outboundHead` avoids O(n) removeFirst.
        var outbound: [WebSocketMessage] = []
        var outboundHead = 0
        var closeRequest: (code: UInt16, reason: String)?
        var closeFrameTaken = false
        var closeInfo: WebSocketCloseInfo?
        var onClose: (@Sendable (WebSocketCloseInfo) -> Void)?
        /// A wake-up for this channel is already queued on the service loop (coalesces sends).
        var attentionPending = false

        var hasOutbound: Bool { outboundHead < outbound.count || (closeRequest != nil && !closeFrameTaken) }
    }

    let request: WebSocketRequest
    let url: WebSocketURL
    let messages: AsyncStream<WebSocketMessage>
    private let inbound: AsyncStream<WebSocketMessage>.Continuation
    private let state = Mutex(State())

    init(request: WebSocketRequest, url: WebSocketURL) {
        self.request = request
        self.url = url
        // Unbounded: the service thread must never block on a slow consumer (it carries every
        // socket in the process). Flow control, if ever needed, belongs in lws rx flow control.
        (messages, inbound) = AsyncStream.makeStream(of: WebSocketMessage.self, bufferingPolicy: .unbounded)
    }

    /// The URL as it may appear in logs.
    var redactedURL: String { SecretRedaction.redact(request.url) }

    var phase: Phase { state.withLock { $0.phase } }
    var closeInfo: WebSocketCloseInfo? { state.withLock { $0.closeInfo } }

    // MARK: Connecting

    /// Parks the connecting task until the service thread (or the timeout) decides.
    func waitForConnect(_ waiter: CheckedContinuation<Result<Void, WebSocketError>, Never>) {
        let ready: Result<Void, WebSocketError>? = state.withLock { s in
            if let outcome = s.connectOutcome { return outcome }
            s.connectWaiter = waiter
            return nil
        }
        if let ready { waiter.resume(returning: ready) }
    }

    /// The 101 arrived. False when the connect was already given up (timeout, cancellation):
    /// the caller must then close the socket.
    func connectSucceeded() -> Bool {
        let waiter: CheckedContinuation<Result<Void, WebSocketError>, Never>?? = state.withLock { s in
            guard s.phase == .connecting else { return .none }
            s.phase = .open
            s.connectOutcome = .success(())
            defer { s.connectWaiter = nil }
            return .some(s.connectWaiter)
        }
        guard let waiter else { return false }
        waiter?.resume(returning: .success(()))
        return true
    }

    /// The connect failed or was given up; first caller wins. Returns whether this call decided.
    @discardableResult
    func connectFailed(_ error: WebSocketError) -> Bool {
        let waiter: CheckedContinuation<Result<Void, WebSocketError>, Never>?? = state.withLock { s in
            guard s.phase == .connecting else { return .none }
            s.phase = .closed
            s.connectOutcome = .failure(error)
            s.closeInfo = WebSocketCloseInfo(code: nil, reason: "", error: error.description)
            defer { s.connectWaiter = nil }
            return .some(s.connectWaiter)
        }
        guard let waiter else { return false }
        inbound.finish()
        waiter?.resume(returning: .failure(error))
        return true
    }

    // MARK: Caller side

    /// Queues a message. Returns true when the service loop needs a wake-up for this channel.
    func enqueue(_ message: WebSocketMessage) throws(WebSocketError) -> Bool {
        let size = message.byteCount
        if size > request.maxMessageSize { throw .messageTooLarge(size) }
        let outcome: Result<Bool, WebSocketError> = state.withLock { s in
            switch s.phase {
            case .connecting, .open:  // (connecting: unreachable, handles are only given out once open)
                s.outbound.append(message)
                return .success(Self.markAttention(&s))
            case .closing, .closed:
                let info = s.closeInfo ?? s.closeRequest.map { WebSocketCloseInfo(code: $0.code, reason: $0.reason) }
                    ?? WebSocketCloseInfo(code: nil, reason: "", error: "closed")
                return .failure(.closed(info))
            }
        }
        return try outcome.get()
    }

    /// Asks for a graceful close after the queued messages. Returns true when the service loop
    /// needs a wake-up; false when already closing or closed (close is idempotent).
    func requestClose(code: UInt16, reason: String) -> Bool {
        state.withLock { s in
            // A channel is only handed out once open, so there is no connecting case to handle.
            guard s.phase == .open else { return false }
            s.phase = .closing
            s.closeRequest = (code, reason)
            return Self.markAttention(&s)
        }
    }

    var onClose: (@Sendable (WebSocketCloseInfo) -> Void)? {
        get { state.withLock { $0.onClose } }
        set {
            // Set after the end: call it now, so a handler installed late is never silently skipped.
            let ended: WebSocketCloseInfo? = state.withLock { s in
                if let info = s.closeInfo, s.phase == .closed { return info }
                s.onClose = newValue
                return nil
            }
            if let ended { newValue?(ended) }
        }
    }

    private static func markAttention(_ s: inout State) -> Bool {
        if s.attentionPending { return false }
        s.attentionPending = true
        return true
    }

    // MARK: Service-thread side

    /// The loop is handling this channel's wake-up; later sends must wake it again.
    func clearAttention() { state.withLock { $0.attentionPending = false } }

    var hasOutbound: Bool { state.withLock { $0.hasOutbound } }

    /// The next thing to write: queued messages first, then the close frame, once.
    func nextOutbound() -> Outbound {
        state.withLock { s in
            if s.outboundHead < s.outbound.count {
                let message = s.outbound[s.outboundHead]
                s.outboundHead += 1
                if s.outboundHead == s.outbound.count {
                    s.outbound.removeAll(keepingCapacity: true)
                    s.outboundHead = 0
                } else if s.outboundHead >= 64, s.outboundHead * 2 >= s.outbound.count {
                    s.outbound.removeFirst(s.outboundHead)
                    s.outboundHead = 0
                }
                return .message(message)
            }
            if let request = s.closeRequest, !s.closeFrameTaken {
                s.closeFrameTaken = true
                return .close(code: request.code, reason: request.reason)
            }
            return .nothing
        }
    }

    func deliver(_ message: WebSocketMessage) { inbound.yield(message) }

    /// The socket has ended: record why, drop unsent messages, finish the stream, tell `onClose`.
    func finish(_ info: WebSocketCloseInfo) {
        if phase == .connecting {
            // Ended before the 101: that is a connect failure, whoever noticed it.
            connectFailed(.connectFailed(info.error ?? "connection closed during the handshake"))
            return
        }
        let callback: (@Sendable (WebSocketCloseInfo) -> Void)?? = state.withLock { s in
            guard s.phase != .closed else { return .none }
            s.phase = .closed
            s.closeInfo = info
            s.outbound = []
            s.outboundHead = 0
            defer { s.onClose = nil }
            return .some(s.onClose)
        }
        guard let callback else { return }
        inbound.finish()
        callback?(info)
    }
}
