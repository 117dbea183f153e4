// SPDX-License-Identifier: Apache-2.0

internal import CLibWebSockets
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's one libwebsockets context and the one thread that services it.
///
/// Threading model, as in a NIO event loop: every lws call except `lws_cancel_service`, and
/// every `LWSSession`, belongs to the service thread. Other threads talk to it only by
/// appending a `Command` to the inbox and calling `lws_cancel_service` (documented as safe
/// from any thread), which makes `lws_service` return through
/// `LWS_CALLBACK_EVENT_WAIT_CANCELLED` on the service thread, where the inbox is drained.
///
/// ```
///   caller threads ──Command──► inbox (Mutex) ──lws_cancel_service──► service thread
///                                                                      │ drainInbox()
///   WebSocketChannel (Mutex) ◄── messages / close / outbound ──────── LWSSession callbacks
/// ```
///
/// Created lazily on the first connect and never destroyed: one context for the process
/// lifetime, so there is no teardown race with in-flight callbacks.
final class WebSocketServiceLoop: @unchecked Sendable {
    // @unchecked Sendable: `context` and `protocols` are written once in init, before
    // `shared` is published (the lazy global's once-initialisation orders that before any
    // other thread's read); `sessions`, `vhosts` and `deferredAttempts` are touched only on the
    // service thread (lws callbacks and drainInbox run nowhere else); `inbox` is a Mutex.

    enum Command: Sendable {
        /// DNS done: start connecting to these numeric addresses in order.
        case connect(WebSocketChannel, addresses: [String])
        /// Outbound data or a close request is queued on the channel.
        case attention(WebSocketChannel)
        /// The caller gave up (timeout, cancellation): kill the attempt in flight.
        case abort(WebSocketChannel)
    }

    static let shared = WebSocketServiceLoop()

    /// The name sessions bind to; lws needs one protocol to route callbacks to.
    static let protocolName = "parley-ws"
    /// Receive chunk size: a 2 MiB signalling message arrives in 32 callbacks rather than 512.
    static let rxBufferSize = 64 * 1024

    private(set) var context: OpaquePointer?
    /// The protocol table every vhost shares (lws keeps the pointer, so it is never freed).
    private var protocols: UnsafeMutablePointer<lws_protocols>?
    private let inbox = Mutex<[Command]>([])
    private let logger = Logger(label: "parley.websocket")

    // Service-thread-only state.
    private var sessions: [ObjectIdentifier: LWSSession] = [:]
    /// One client vhost per custom CA file (the CA store is per vhost in lws); nil key = default.
    private var vhosts: [String: OpaquePointer] = [:]
    /// Sessions whose next address should be tried on the next drain (never re-entered from
    /// inside the failing wsi's own callback).
    private var deferredAttempts: [LWSSession] = []

    /// Live `LWSSession`s and wsis, for leak checks in tests.
    static let liveSessions = Atomic<Int>(0)
    static let liveWsis = Atomic<Int>(0)

    private init() {
        LWSLogBridge.install()
        let table = UnsafeMutablePointer<lws_protocols>.allocate(capacity: 2)
        table.initialize(repeating: lws_protocols(), count: 2)  // second entry: the terminator
        table[0].name = UnsafePointer(strdup(Self.protocolName))
        table[0].callback = parleyLWSCallback
        table[0].rx_buffer_size = Self.rxBufferSize
        protocols = table

        var info = lws_context_creation_info()
        info.port = parley_lws_no_listen()
        info.protocols = UnsafePointer(table)
        info.options = parley_lws_context_options()
        info.gid = -1
        info.uid = -1
        info.user = Unmanaged.passUnretained(self).toOpaque()
        // The handshake, extra headers included, is built in the per-thread service buffer, and
        // the header table holds the request URI and the server's response headers: the 4 KiB
        // defaults are tight once a Bearer JWT and provider headers are added.
        info.pt_serv_buf_size = 32 * 1024
        info.max_http_header_data = 16 * 1024
        info.fd_limit_per_thread = Self.fdLimit()
        context = lws_create_context(&info)
        guard context != nil else {
            logger.error("libwebsockets context creation failed; every WebSocket connect will fail")
            return
        }

        let box = Unmanaged.passRetained(self)  // the thread owns one reference forever
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            #if canImport(Darwin)
            let loop = Unmanaged<WebSocketServiceLoop>.fromOpaque(arg).takeUnretainedValue()
            #else
            let loop = Unmanaged<WebSocketServiceLoop>.fromOpaque(arg!).takeUnretainedValue()
            #endif
            loop.run()
            return nil
        }, box.toOpaque())
        if rc != 0 {
            box.release()
            logger.error("could not start the WebSocket service thread (errno \(rc))")
            context = nil  // the context stays allocated but unused; connects fail cleanly
        } else {
            pthread_detach(thread)
        }
    }

    /// lws sizes its fd lookup table by this; the process limit can be a million in containers.
    private static func fdLimit() -> UInt32 {
        var limit = rlimit()
        #if canImport(Darwin)
        let resource = RLIMIT_NOFILE
        #else
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #endif
        guard getrlimit(resource, &limit) == 0 else { return 0 }
        return limit.rlim_cur > 65_536 ? 65_536 : 0
    }

    private func run() {
        parley_lws_name_thread("parley-ws")
        guard let context else { return }
        while true {
            // The timeout argument is ignored by lws 4.x (it sleeps until the next timer or
            // event); cancel_service wakes it for our commands.
            if lws_service(context, 0) < 0 {
                logger.error("lws_service failed; WebSocket service thread stopping")
                return
            }
        }
    }

    // MARK: Any thread

    var isRunning: Bool { context != nil }

    func submit(_ command: Command) {
        inbox.withLock { $0.append(command) }
        if let context { lws_cancel_service(context) }
    }

    // MARK: Service thread

    /// Runs on `LWS_CALLBACK_EVENT_WAIT_CANCELLED`. lws broadcasts that to every vhost's
    /// protocols, so this may run several times per wake-up; an empty inbox makes it a no-op.
    func drainInbox() {
        let commands = inbox.withLock { pending in
            let taken = pending
            pending.removeAll()
            return taken
        }
        for command in commands {
            switch command {
            case .connect(let channel, let addresses):
                guard channel.phase == .connecting else { continue }  // given up while resolving
                let session = LWSSession(channel: channel, addresses: addresses, loop: self)
                sessions[ObjectIdentifier(channel)] = session
                startAttempt(session)
            case .attention(let channel):
                channel.clearAttention()
                sessions[ObjectIdentifier(channel)]?.requestWritable()
            case .abort(let channel):
                sessions[ObjectIdentifier(channel)]?.abort()
            }
        }
        let retries = deferredAttempts
        deferredAttempts.removeAll()
        for session in retries { startAttempt(session) }
    }

    private func startAttempt(_ session: LWSSession) {
        guard let context else { return }
        var vhost: OpaquePointer?
        if let caFile = session.channel.request.tlsCAFile, session.channel.url.secure {
            guard let v = self.vhost(caFile: caFile) else {
                session.failBeforeStart(.connectFailed("cannot load the TLS CA file \(caFile)"))
                release(session)
                return
            }
            vhost = v
        }
        session.startNextAttempt(context: context, vhost: vhost)
        release(session)
    }

    /// Called by a session whose attempt failed with more addresses left.
    func deferAttempt(_ session: LWSSession) {
        deferredAttempts.append(session)
        if let context { lws_cancel_service(context) }
    }

    /// Drops the loop's reference once the session is finished and lws holds none of its wsis.
    func release(_ session: LWSSession) {
        guard session.isDisposable else { return }
        let key = ObjectIdentifier(session.channel)
        if sessions[key] === session { sessions[key] = nil }
    }

    private func vhost(caFile: String) -> OpaquePointer? {
        if let existing = vhosts[caFile] { return existing }
        guard let context, access(caFile, R_OK) == 0 else { return nil }
        var info = lws_context_creation_info()
        info.port = parley_lws_no_listen()
        info.protocols = UnsafePointer(protocols)
        info.options = parley_lws_context_options()
        info.gid = -1
        info.uid = -1
        // Both strings must outlive the vhost, which lives as long as the process.
        info.vhost_name = UnsafePointer(strdup("parley-ca-\(vhosts.count + 1)"))
        info.client_ssl_ca_filepath = UnsafePointer(strdup(caFile))
        guard let created = lws_create_vhost(context, &info) else {
            logger.error("could not create an lws client vhost for a CA file", metadata: ["ca_file": "\(caFile)"])
            return nil
        }
        vhosts[caFile] = created
        return created
    }
}

/// The one lws callback for every Parley wsi. Client wsis carry their `LWSSession` as the
/// opaque user data (unretained; the loop's `sessions` table keeps it alive until lws destroys
/// the last wsi); anything else is lws-internal and only matters for the cancel wake-up.
private func parleyLWSCallback(
    wsi: OpaquePointer?, reason: lws_callback_reasons, user: UnsafeMutableRawPointer?,
    input: UnsafeMutableRawPointer?, length: Int
) -> Int32 {
    guard let wsi else { return 0 }
    if reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED {
        guard let context = lws_get_context(wsi), let loop = lws_context_user(context) else { return 0 }
        Unmanaged<WebSocketServiceLoop>.fromOpaque(loop).takeUnretainedValue().drainInbox()
        return 0
    }
    guard let opaque = lws_get_opaque_user_data(wsi) else { return 0 }
    let session = Unmanaged<LWSSession>.fromOpaque(opaque).takeUnretainedValue()
    return session.handle(wsi: wsi, reason: reason, input: input, length: length)
}
