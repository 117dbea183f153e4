// SPDX-License-Identifier: Apache-2.0

/// One client WebSocket, serviced by the process-wide libwebsockets loop.
///
/// ```swift
/// let socket = try await WebSocketConnection.connect(WebSocketRequest(url: "wss://host/rtc?access_token=…"))
/// try socket.send(.binary(bytes))
/// for await message in socket.messages { … }   // ends when the socket closes
/// print(socket.closeInfo!)                      // why
/// ```
///
/// All methods are thread-safe and never block: `send` queues the message and wakes the
/// service thread. Keep the connection object alive while you use the socket — releasing the
/// last reference closes it (1001, going away), even if someone still iterates `messages`.
public final class WebSocketConnection: Sendable {
    let channel: WebSocketChannel

    private init(channel: WebSocketChannel) {
        self.channel = channel
    }

    deinit {
        if channel.requestClose(code: 1001, reason: "") {
            WebSocketServiceLoop.shared.submit(.attention(channel))
        }
    }

    /// Resolves the host (off the service thread), connects, upgrades. Throws `.invalidURL`,
    /// `.connectFailed`, `.upgradeRejected` (non-101 answer), or `.timeout` after
    /// `request.connectTimeout`. Cancelling the calling task abandons the attempt
    /// (`.connectFailed("cancelled")`).
    public static func connect(_ request: WebSocketRequest) async throws(WebSocketError) -> WebSocketConnection {
        let url = try WebSocketURL(parsing: request.url)
        try validate(request, url)
        let loop = WebSocketServiceLoop.shared
        guard loop.isRunning else { throw .connectFailed("the libwebsockets service loop is not running") }

        let channel = WebSocketChannel(request: request, url: url)
        let giveUp: @Sendable (WebSocketError) -> Void = { error in
            if channel.connectFailed(error) { loop.submit(.abort(channel)) }
        }
        let timeout = Task {
            try? await Task.sleep(for: request.connectTimeout)
            if !Task.isCancelled { giveUp(.timeout) }
        }
        defer { timeout.cancel() }

        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Result<Void, WebSocketError>, Never>) in
                channel.waitForConnect(waiter)
                AddressResolver.resolve(host: url.host, port: url.port) { resolved in
                    switch resolved {
                    case .success(let addresses): loop.submit(.connect(channel, addresses: addresses))
                    case .failure(let error): channel.connectFailed(error)
                    }
                }
            }
        } onCancel: {
            giveUp(.connectFailed("cancelled"))
        }
        try outcome.get()
        return WebSocketConnection(channel: channel)
    }

    /// lws 4.1 formats the request line into a 2048-byte slice and the Host line into 128
    /// bytes, silently truncating longer ones (the server then sees a corrupt request). LiveKit
    /// accepts the token as `Authorization: Bearer` instead of `?access_token=`, and headers
    /// have kilobytes of room, so an over-long path is refused up front with that advice.
    static let maxPathAndQueryBytes = 2048 - "GET ".utf8.count - " HTTP/1.1\r\n".utf8.count - 1
    static let maxHostHeaderBytes = 128 - "Host: ".utf8.count - "\r\n".utf8.count - 1

    private static func validate(_ request: WebSocketRequest, _ url: WebSocketURL) throws(WebSocketError) {
        let redacted = SecretRedaction.redact(request.url)
        if url.pathAndQuery.utf8.count > maxPathAndQueryBytes {
            throw .invalidURL("\(redacted) (path and query are \(url.pathAndQuery.utf8.count) bytes; libwebsockets 4.1 "
                              + "allows \(maxPathAndQueryBytes): send the token in an Authorization header instead)")
        }
        if url.hostHeader.utf8.count > maxHostHeaderBytes {
            throw .invalidURL("\(redacted) (host longer than \(maxHostHeaderBytes) bytes)")
        }
        for header in request.headers {
            // Bytes, not Characters: "\r\n" is a single Character in Swift.
            let isControl: (UInt8) -> Bool = { $0 == 13 || $0 == 10 || $0 == 0 }
            let name = header.name.hasSuffix(":") ? header.name.utf8.dropLast() : header.name.utf8[...]
            if name.isEmpty || name.contains(where: { isControl($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: " ") })
                || header.value.utf8.contains(where: isControl) {
                throw .invalidURL("\(redacted) (invalid header name or value)")
            }
        }
        guard request.maxMessageSize > 0 else { throw .invalidURL("\(redacted) (maxMessageSize must be positive)") }
    }

    /// Inbound messages, in order. Single consumer: every call returns the same stream.
    /// Finishes when the socket has ended (`closeInfo` is set by then).
    public var messages: AsyncStream<WebSocketMessage> { channel.messages }

    /// Queues `message` for sending. Throws `.closed` once `close` was called or the socket
    /// ended, and `.messageTooLarge` above `maxMessageSize`.
    public func send(_ message: WebSocketMessage) throws(WebSocketError) {
        if try channel.enqueue(message) {
            WebSocketServiceLoop.shared.submit(.attention(channel))
        }
    }

    /// Sends a close frame after the already queued messages, then the socket ends and
    /// `messages` finishes. Idempotent; a no-op after the socket has ended.
    public func close(code: UInt16 = 1000, reason: String = "") {
        if channel.requestClose(code: code, reason: reason) {
            WebSocketServiceLoop.shared.submit(.attention(channel))
        }
    }

    /// Why the socket ended; nil while it is open or closing.
    public var closeInfo: WebSocketCloseInfo? { channel.closeInfo }

    /// Called once when the socket ends, on the service thread: keep it short and never block.
    /// Set after the end, it is called immediately on the setting thread.
    public var onClose: (@Sendable (WebSocketCloseInfo) -> Void)? {
        get { channel.onClose }
        set { channel.onClose = newValue }
    }
}
