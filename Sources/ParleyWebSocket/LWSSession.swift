// SPDX-License-Identifier: Apache-2.0

internal import CLibWebSockets
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The lws side of one connection: its wsi(s), handshake headers, message reassembly,
/// writes and close bookkeeping. Lives on the service thread only — created in
/// `WebSocketServiceLoop.drainInbox`, driven by lws callbacks, released when lws destroys its
/// last wsi — so it needs no locks; everything it shares with callers goes through its
/// `WebSocketChannel`.
///
/// One session may use several wsis in turn: one connect attempt per resolved address until one
/// answers. A wsi whose attempt failed is "retired": lws may still call back for it while it is
/// torn down, and those callbacks are ignored except for the final `WSI_DESTROY`.
final class LWSSession {
    let channel: WebSocketChannel
    private let loop: WebSocketServiceLoop
    private let logger = Logger(label: "parley.websocket")

    private let addresses: [String]
    private var nextAddress = 0
    /// The wsi of the attempt in flight, or of the established socket.
    private var current: OpaquePointer?
    private var currentAttemptReported = false
    /// Every wsi lws may still call back for; the session must outlive all of them.
    private var knownWsis: Set<OpaquePointer> = []
    private var retired: Set<OpaquePointer> = []
    private var established = false
    private var socketClosed = false
    /// The channel has been told the outcome (connect failure or end of socket).
    private var finished = false
    private var aborted = false
    /// A close was requested and lws was told to kill the socket if it is not gone in time.
    private var closeDeadlineArmed = false

    /// How long a requested close may take before the socket is dropped: a peer that stops
    /// reading would otherwise keep the close frame queued behind unsent data forever.
    static let closeTimeoutSeconds: Int32 = 5

    // C strings handed to lws_client_connect_via_info (lws copies them; freed in deinit).
    private let cPath: UnsafeMutablePointer<CChar>
    private let cHost: UnsafeMutablePointer<CChar>
    private let cProtocol: UnsafeMutablePointer<CChar>
    private let cALPN: UnsafeMutablePointer<CChar>
    private var cAddress: UnsafeMutablePointer<CChar>?
    /// "name:" and value, each NUL-terminated, ready for lws_add_http_header_by_name.
    private let headerBytes: [(name: [UInt8], value: [UInt8])]
    private var headersOverflowed = false

    private var rx: [UInt8] = []
    private var rxBinary = true
    private var localClose: WebSocketCloseInfo?
    private var peerClose: WebSocketCloseInfo?

    init(channel: WebSocketChannel, addresses: [String], loop: WebSocketServiceLoop) {
        self.channel = channel
        self.addresses = addresses
        self.loop = loop
        cPath = strdup(channel.url.pathAndQuery)
        cHost = strdup(channel.url.hostHeader)
        cProtocol = strdup(WebSocketServiceLoop.protocolName)
        // HTTP/1.1 only: lws would otherwise offer h2 over TLS and try RFC 8441 WebSockets,
        // which most speech providers' front ends do not support.
        cALPN = strdup("http/1.1")
        headerBytes = channel.request.headers.map { header in
            let name = header.name.hasSuffix(":") ? header.name : header.name + ":"
            return (Array(name.utf8) + [0], Array(header.value.utf8) + [0])
        }
        WebSocketServiceLoop.liveSessions.add(1, ordering: .relaxed)
    }

    deinit {
        free(cPath)
        free(cHost)
        free(cProtocol)
        free(cALPN)
        free(cAddress)
        WebSocketServiceLoop.liveSessions.subtract(1, ordering: .relaxed)
    }

    /// Finished and no wsi left that could call back: the loop may drop it.
    var isDisposable: Bool { finished && knownWsis.isEmpty }

    // MARK: Driven by the loop

    func startNextAttempt(context: OpaquePointer, vhost: OpaquePointer?) {
        guard !finished else { return }
        guard !aborted, channel.phase == .connecting else {
            finished = true
            return
        }
        guard nextAddress < addresses.count else {
            fail(.connectFailed("no address left to try"))
            return
        }
        let address = addresses[nextAddress]
        nextAddress += 1
        free(cAddress)
        cAddress = strdup(address)

        // Never follow redirects: lws would re-send our headers (Authorization) to wherever the
        // Location points, resolving it on the service thread. A 3xx is reported as a rejection.
        var flags: UInt32 = LCCSCF_HTTP_NO_FOLLOW_REDIRECT.rawValue
        if channel.url.secure {
            flags |= LCCSCF_USE_SSL.rawValue
            if channel.request.allowSelfSigned {
                flags |= LCCSCF_ALLOW_SELFSIGNED.rawValue | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK.rawValue
            }
        }
        var info = lws_client_connect_info()
        info.context = context
        info.address = UnsafePointer(cAddress)
        info.port = Int32(channel.url.port)
        info.ssl_connection = Int32(bitPattern: flags)
        info.path = UnsafePointer(cPath)
        info.host = UnsafePointer(cHost)
        info.local_protocol_name = UnsafePointer(cProtocol)
        info.alpn = UnsafePointer(cALPN)
        info.vhost = vhost
        info.ietf_version_or_minus_one = -1
        info.opaque_user_data = Unmanaged.passUnretained(self).toOpaque()

        logger.debug("connecting", metadata: ["url": "\(channel.redactedURL)", "address": "\(address)"])
        current = nil
        currentAttemptReported = false
        let wsi = lws_client_connect_via_info(&info)
        if let wsi {
            see(wsi)
            if current == nil, !retired.contains(wsi) { current = wsi }
        } else if !currentAttemptReported {
            // lws reports failures inside connect_via_info through the return value only.
            attemptFailed(status: 0, text: "could not start a connection to \(address)")
        }
    }

    /// Sends and closes wait for a writable callback; the loop asks for one on every wake-up.
    func requestWritable() {
        guard let current, established, !socketClosed else { return }
        if !closeDeadlineArmed, channel.phase == .closing {
            closeDeadlineArmed = true
            // Replaced by lws's own close-ack timeout once the close frame is out.
            lws_set_timeout(current, PENDING_TIMEOUT_USER_OK, Self.closeTimeoutSeconds)
        }
        lws_callback_on_writable(current)
    }

    /// The caller gave up connecting (its `connectFailed` already told the channel).
    func abort() {
        aborted = true
        if let current, !socketClosed {
            parley_lws_kill_async(current)
        } else {
            finished = true
            loop.release(self)
        }
    }

    /// Failure before any wsi was created (e.g. the CA file cannot be loaded).
    func failBeforeStart(_ error: WebSocketError) { fail(error) }

    // MARK: lws callbacks

    func handle(wsi: OpaquePointer, reason: lws_callback_reasons, input: UnsafeMutableRawPointer?, length: Int) -> Int32 {
        if reason == LWS_CALLBACK_WSI_DESTROY {
            destroyed(wsi)
            return 0
        }
        see(wsi)
        if retired.contains(wsi) { return 0 }
        if current == nil { current = wsi }  // early callbacks of a new attempt, before connect returns
        guard wsi == current else { return 0 }

        switch reason {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            return appendHeaders(wsi: wsi, input: input, length: length)
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            established = true
            guard channel.connectSucceeded() else {
                // Timed out or cancelled while the 101 was on its way.
                finished = true
                return -1
            }
            logger.debug("connected", metadata: ["url": "\(channel.redactedURL)"])
            if channel.hasOutbound { lws_callback_on_writable(wsi) }
            return 0
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            let text = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "connection error"
            var status = Int(lws_http_client_http_response(wsi))
            if status == 0 { status = responseStatus(wsi) }
            attemptFailed(status: status, text: headersOverflowed ? "handshake headers too large" : text)
            return 0
        case LWS_CALLBACK_CLIENT_RECEIVE:
            return receive(wsi: wsi, input: input, length: length)
        case LWS_CALLBACK_CLIENT_WRITEABLE:
            return writeNext(wsi: wsi)
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            peerClose = Self.parseClosePayload(input, length)
            return 0  // lws echoes the close frame and then closes
        case LWS_CALLBACK_CLIENT_CLOSED:
            socketClosed = true
            end()
            return 0
        default:
            return 0
        }
    }

    private func see(_ wsi: OpaquePointer) {
        if knownWsis.insert(wsi).inserted { WebSocketServiceLoop.liveWsis.add(1, ordering: .relaxed) }
    }

    private func destroyed(_ wsi: OpaquePointer) {
        lws_set_opaque_user_data(wsi, nil)
        if knownWsis.remove(wsi) != nil { WebSocketServiceLoop.liveWsis.subtract(1, ordering: .relaxed) }
        retired.remove(wsi)
        if wsi == current {
            socketClosed = true
            current = nil
            if !established, !finished, !aborted, !currentAttemptReported {
                attemptFailed(status: 0, text: "connection closed before the upgrade")
            } else {
                end()  // no-op when CLIENT_CLOSED already reported it
            }
        }
        loop.release(self)
    }

    // MARK: Connecting

    private func attemptFailed(status: Int, text: String) {
        currentAttemptReported = true
        if let current {
            retired.insert(current)
            self.current = nil
        }
        guard !finished else { return }
        if aborted || channel.phase != .connecting {
            finished = true
            return
        }
        let redacted = SecretRedaction.redact(text)
        if status != 0 {
            fail(.upgradeRejected(status: status, reason: redacted))
        } else if nextAddress < addresses.count {
            logger.debug("connect attempt failed, trying the next address", metadata: ["error": "\(redacted)"])
            loop.deferAttempt(self)
        } else {
            fail(.connectFailed(redacted))
        }
    }

    private func fail(_ error: WebSocketError) {
        finished = true
        if channel.connectFailed(error) {
            logger.debug("connect failed", metadata: ["url": "\(channel.redactedURL)", "error": "\(error)"])
        }
    }

    /// Fallback when lws did not record the status: the first response line's status token.
    private func responseStatus(_ wsi: OpaquePointer) -> Int {
        var buffer = [CChar](repeating: 0, count: 32)
        let n = lws_hdr_copy(wsi, &buffer, Int32(buffer.count), WSI_TOKEN_HTTP)
        guard n > 0 else { return 0 }
        let token = String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Int(token.prefix(while: { $0.isNumber })) ?? 0
    }

    private func appendHeaders(wsi: OpaquePointer, input: UnsafeMutableRawPointer?, length: Int) -> Int32 {
        guard let input else { return -1 }
        let cursor = input.assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
        guard let start = cursor.pointee else { return -1 }
        let end = start + length
        for header in headerBytes {
            let rc = header.name.withUnsafeBufferPointer { name in
                header.value.withUnsafeBufferPointer { value in
                    lws_add_http_header_by_name(wsi, name.baseAddress, value.baseAddress, Int32(value.count - 1), cursor, end)
                }
            }
            if rc != 0 {
                headersOverflowed = true
                return -1
            }
        }
        return 0
    }

    // MARK: Established

    private func receive(wsi: OpaquePointer, input: UnsafeMutableRawPointer?, length: Int) -> Int32 {
        if lws_is_first_fragment(wsi) != 0 {
            rx = []
            rxBinary = lws_frame_is_binary(wsi) != 0
        }
        let limit = channel.request.maxMessageSize
        if rx.count + length > limit {
            let size = rx.count + length
            rx = []
            logger.warning("inbound message above the limit; closing with 1009",
                           metadata: ["url": "\(channel.redactedURL)", "bytes_so_far": "\(size)", "limit": "\(limit)"])
            return closeNow(wsi: wsi, code: 1009, reason: "message too big",
                            error: WebSocketError.messageTooLarge(size).description)
        }
        if length > 0, let input {
            rx.append(contentsOf: UnsafeRawBufferPointer(start: input, count: length))
        }
        if lws_is_final_fragment(wsi) != 0 {
            let message: WebSocketMessage = rxBinary ? .binary(rx) : .text(String(decoding: rx, as: UTF8.self))
            rx = []
            channel.deliver(message)
        }
        return 0
    }

    private func writeNext(wsi: OpaquePointer) -> Int32 {
        switch channel.nextOutbound() {
        case .message(let message):
            if write(message, wsi: wsi) < 0 {
                localClose = WebSocketCloseInfo(code: nil, reason: "", error: "write failed")
                return -1
            }
            if channel.hasOutbound { lws_callback_on_writable(wsi) }
            return 0
        case .close(let code, let reason):
            return closeNow(wsi: wsi, code: code, reason: reason, error: nil)
        case .nothing:
            return 0
        }
    }

    /// One whole message per writable callback. lws copies whatever the kernel does not take
    /// at once and flushes it before the next writable callback, so a 2 MiB message needs no
    /// fragmenting here (and reaches servers that mishandle continuation frames intact).
    private func write(_ message: WebSocketMessage, wsi: OpaquePointer) -> Int {
        switch message {
        case .binary(let bytes):
            return bytes.withUnsafeBufferPointer { write($0, kind: LWS_WRITE_BINARY, wsi: wsi) }
        case .text(var text):
            return text.withUTF8 { write($0, kind: LWS_WRITE_TEXT, wsi: wsi) }
        }
    }

    private func write(_ payload: UnsafeBufferPointer<UInt8>, kind: lws_write_protocol, wsi: OpaquePointer) -> Int {
        let pre = parley_lws_pre()
        // lws writes the frame header into the LWS_PRE bytes in front and masks the payload in
        // place (client frames are masked), so it needs its own writable copy.
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: pre + max(payload.count, 1))
        defer { buffer.deallocate() }
        if let base = payload.baseAddress { (buffer + pre).update(from: base, count: payload.count) }
        return Int(lws_write(wsi, buffer + pre, payload.count, kind))
    }

    /// Sends a close frame with `code`/`reason` and has lws close the socket (returning -1 from
    /// a callback after `lws_close_reason`; lws then waits briefly for the peer's close reply).
    private func closeNow(wsi: OpaquePointer, code: UInt16, reason: String, error: String?) -> Int32 {
        if localClose == nil { localClose = WebSocketCloseInfo(code: code, reason: reason, error: error) }
        // A close frame payload is at most 125 bytes: 2 for the code, 123 for the reason.
        var bytes = Array(reason.utf8.prefix(123))
        while !bytes.isEmpty, String(validating: bytes, as: UTF8.self) == nil { bytes.removeLast() }
        bytes.withUnsafeMutableBufferPointer { reasonBytes in
            lws_close_reason(wsi, lws_close_status(rawValue: UInt32(code)), reasonBytes.baseAddress, reasonBytes.count)
        }
        return -1
    }

    private func end() {
        guard !finished else { return }
        finished = true
        guard established else {
            channel.connectFailed(.connectFailed("connection closed before the upgrade"))
            return
        }
        let info = localClose ?? peerClose
            ?? WebSocketCloseInfo(code: nil, reason: "",
                                  error: closeDeadlineArmed ? "close timed out (the peer stopped reading)" : "connection lost")
        logger.debug("closed", metadata: ["url": "\(channel.redactedURL)", "close": "\(info)"])
        channel.finish(info)
    }

    static func parseClosePayload(_ input: UnsafeMutableRawPointer?, _ length: Int) -> WebSocketCloseInfo {
        guard let input, length >= 2 else {
            return WebSocketCloseInfo(code: nil, reason: "")  // a close frame without a status
        }
        let bytes = UnsafeRawBufferPointer(start: input, count: length)
        let code = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        return WebSocketCloseInfo(code: code, reason: String(decoding: bytes[2...], as: UTF8.self))
    }
}
