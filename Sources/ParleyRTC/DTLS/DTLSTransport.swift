// SPDX-License-Identifier: Apache-2.0

import COpenSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// DTLS 1.2 (RFC 6347) for DTLS-SRTP (RFC 5764) over OpenSSL, sans-IO: datagrams in, datagrams
/// out, time from the caller. No sockets, no threads, no wall clock of its own — the ICE
/// agent hands it the DTLS datagrams its demultiplexer sorted out (RFC 7983, `PacketDemux`)
/// and sends what it returns.
///
///                 receive(datagram, now) ──► [read BIO] ──► SSL ──► [write BIO] ──► datagrams
///     caller ───► start(now) / handleTimeout(now) / send(applicationData:) / close()
///                 ◄── DTLSOutput { datagrams, events: connected(keys) | applicationData | closed }
///
/// - Roles: `.client` starts the handshake in `start(now:)`; `.server` waits for the
///   ClientHello and requires a client certificate (as pion does).
/// - Authentication: the peer's leaf certificate must hash to one of the remote SDP's
///   fingerprints (RFC 8122 §5, RFC 8827 §6.5); the chain is not checked. On mismatch the
///   handshake ends with a bad_certificate alert and `DTLSError.fingerprintMismatch`.
/// - SRTP: use_srtp (RFC 5764 §4.1.1) with the context's profiles; on completion the keys are
///   exported with "EXTRACTOR-dtls_srtp" (RFC 5764 §4.2) and handed over in `.connected`.
/// - Records: OpenSSL writes to a memory BIO; whole records are packed into datagrams of at
///   most `mtu` bytes (1200 as pion: livekit-protocol.md §6).
/// - Retransmission (RFC 6347 §4.2.4): while a flight is unanswered, `nextTimeout` says when
///   to call `handleTimeout(now:)`. The interval starts at `initialRetransmitTimeout` and
///   doubles up to `maxRetransmitTimeout`. OpenSSL keeps the timer itself and checks it
///   against the wall clock, so the caller's clock must advance with real time; a call that
///   comes early does nothing and moves `nextTimeout` to the remaining time.
///
/// A transport is confined to one thread (the session's network loop); it is not Sendable.
public final class DTLSTransport {
    public struct Configuration: Sendable {
        public var role: DTLSRole
        /// `a=fingerprint` values of the remote description (one must match).
        public var remoteFingerprints: [SDPFingerprint]
        /// Largest datagram sent (DTLS_set_link_mtu).
        public var mtu: Int = 1200
        /// First retransmission interval: 1 s (RFC 6347 §4.2.4.1).
        public var initialRetransmitTimeout: Duration = .seconds(1)
        /// Upper bound of the doubling interval: 60 s (RFC 6347 §4.2.4.1).
        public var maxRetransmitTimeout: Duration = .seconds(60)
        /// Give up on a handshake that has not finished after this long.
        public var handshakeTimeout: Duration = .seconds(30)
        /// Fail the handshake if no SRTP profile was negotiated (a WebRTC media transport).
        public var requireSRTP: Bool = true

        public init(role: DTLSRole, remoteFingerprints: [SDPFingerprint]) {
            self.role = role
            self.remoteFingerprints = remoteFingerprints
        }
    }

    public let configuration: Configuration
    public private(set) var state: DTLSState = .new
    public private(set) var stats = DTLSStats()
    /// Why the transport failed, once `state == .failed`.
    public private(set) var failure: DTLSError?
    /// The SRTP keys, once connected with use_srtp.
    public private(set) var keyingMaterial: SRTPKeyingMaterial?
    /// The fingerprint of the certificate the peer presented, once verified.
    public private(set) var peerFingerprint: SDPFingerprint?
    /// When to call `handleTimeout(now:)` next (retransmission or handshake deadline); nil when
    /// no timer runs.
    public private(set) var nextTimeout: ContinuousClock.Instant?

    private let context: DTLSContext
    /// SSL*, read BIO and write BIO (both BIO_s_mem; the SSL owns them).
    private let ssl: OpaquePointer
    private let readBIO: OpaquePointer
    private let writeBIO: OpaquePointer
    private var handshakeDeadline: ContinuousClock.Instant?
    /// Set by the verify callback when the peer's certificate does not match.
    private var verificationFailure: DTLSError?
    /// The last fatal alert received, as OpenSSL names it.
    private var receivedFatalAlert: String?
    /// Datagrams produced by a call that then threw (the alert we send on failure).
    private var pendingDatagrams: [[UInt8]] = []
    /// Reused buffer for SSL_read (the largest DTLS plaintext, RFC 6347 §4.1).
    private var readBuffer = [UInt8](repeating: 0, count: 16_384)

    private static let exporterLabel = "EXTRACTOR-dtls_srtp"

    public init(context: DTLSContext, configuration: Configuration) throws(DTLSError) {
        guard configuration.remoteFingerprints.contains(where: { DTLSTransport.supports($0.algorithm) }) else {
            throw .noUsableFingerprint(configuration.remoteFingerprints)
        }
        OpenSSLErrorQueue.clear()
        guard let ssl = SSL_new(context.ctx) else { throw .setupFailed(OpenSSLErrorQueue.drain(fallback: "SSL_new")) }
        guard let readBIO = BIO_new(BIO_s_mem()), let writeBIO = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw .setupFailed("BIO_new")
        }
        // An empty read BIO means "no datagram yet" (retry), not end of file.
        _ = parley_BIO_set_mem_eof_return(readBIO, -1)
        _ = parley_BIO_set_mem_eof_return(writeBIO, -1)
        SSL_set_bio(ssl, readBIO, writeBIO)  // the SSL now owns both
        self.ssl = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
        self.context = context
        self.configuration = configuration

        // Callbacks find their transport through ex_data slot 0 ("app data"). They run only
        // inside our own SSL_* calls, on the caller's thread, while `self` is alive.
        SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(self).toOpaque())
        let verifyMode = configuration.role == .server ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER
        SSL_set_verify(ssl, verifyMode, DTLSTransport.verifyCallback)
        SSL_set_info_callback(ssl, DTLSTransport.infoCallback)
        DTLS_set_timer_cb(ssl, DTLSTransport.timerCallback)
        guard parley_DTLS_set_link_mtu(ssl, configuration.mtu) == 1 else {
            throw .setupFailed(OpenSSLErrorQueue.drain(fallback: "MTU \(configuration.mtu) rejected"))
        }
        if configuration.role == .client { SSL_set_connect_state(ssl) } else { SSL_set_accept_state(ssl) }
    }

    deinit { SSL_free(ssl) }

    // MARK: - API

    /// Begins the handshake: the client's first flight (ClientHello); nothing for a server,
    /// which waits for one.
    public func start(now: ContinuousClock.Instant) throws(DTLSError) -> [[UInt8]] {
        guard state == .new else { throw .invalidState(state, operation: "start") }
        state = .connecting
        handshakeDeadline = now + configuration.handshakeTimeout
        if configuration.role == .client {
            _ = try guarded(now: now) { () throws(DTLSError) in try driveHandshake() }
        } else {
            updateTimer(now: now)
        }
        return takeDatagrams()
    }

    /// Feeds one received DTLS datagram (RFC 7983 first byte 20–63). Returns what to send back
    /// and what happened. Non-DTLS datagrams and anything after close or failure are counted
    /// and dropped. Throws, and moves to `.failed`, when the handshake fails; the alert to
    /// send then is in `takePendingDatagrams()`.
    public func receive(_ datagram: [UInt8], now: ContinuousClock.Instant) throws(DTLSError) -> DTLSOutput {
        guard state == .connecting || state == .connected, PacketDemux.classify(datagram) == .dtls else {
            if state == .new { throw .invalidState(state, operation: "receive") }
            stats.datagramsDiscarded += 1
            return DTLSOutput()
        }
        stats.datagramsReceived += 1
        stats.bytesReceived += datagram.count
        stats.recordsReceived += DTLSRecordFramer.countRecords(datagram)
        // One datagram at a time: drop whatever OpenSSL left unread of the previous one.
        _ = BIO_ctrl(readBIO, BIO_CTRL_RESET, 0, nil)
        _ = datagram.withUnsafeBytes { BIO_write(readBIO, $0.baseAddress, Int32($0.count)) }
        let events = try guarded(now: now) { () throws(DTLSError) -> [DTLSEvent] in
            var events: [DTLSEvent] = []
            if state == .connecting { events += try driveHandshake() }
            if state == .connected { events += try readApplicationData() }
            return events
        }
        return DTLSOutput(datagrams: takeDatagrams(), events: events)
    }

    /// Call at `nextTimeout`: retransmits the last flight if its timer expired (RFC 6347
    /// §4.2.4), fails the handshake at its deadline.
    public func handleTimeout(now: ContinuousClock.Instant) throws(DTLSError) -> [[UInt8]] {
        guard state == .connecting else { return [] }
        _ = try guarded(now: now) { () throws(DTLSError) in
            if let deadline = handshakeDeadline, now >= deadline { throw .handshakeTimedOut }
            OpenSSLErrorQueue.clear()
            if parley_DTLSv1_handle_timeout(ssl) < 0 {
                throw failureReason(fallback: "too many retransmissions")
            }
        }
        return takeDatagrams()
    }

    /// Encrypts one application message (an SCTP packet) into one record. Only when connected.
    public func send(applicationData: [UInt8]) throws(DTLSError) -> [[UInt8]] {
        guard state == .connected else { throw .invalidState(state, operation: "send") }
        let limit = maxApplicationDataSize
        guard applicationData.count <= limit, !applicationData.isEmpty else {
            throw .applicationDataTooLarge(size: applicationData.count, limit: limit)
        }
        OpenSSLErrorQueue.clear()
        let written = applicationData.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        guard written == applicationData.count else {
            let reason = OpenSSLErrorQueue.drain(fallback: "SSL_write returned \(written)")
            fail(.writeFailed(reason))
            pendingDatagrams += flushWriteBIO()
            throw .writeFailed(reason)
        }
        stats.applicationMessagesSent += 1
        return flushWriteBIO()
    }

    /// Sends close_notify (RFC 5246 §7.2.1) and closes. Idempotent; nothing to send unless a
    /// handshake had started.
    public func close() -> [[UInt8]] {
        guard state == .connecting || state == .connected else { return [] }
        OpenSSLErrorQueue.clear()
        _ = SSL_shutdown(ssl)
        OpenSSLErrorQueue.clear()
        state = .closed
        nextTimeout = nil
        return flushWriteBIO()
    }

    /// The largest application message that fits one record in one datagram (DTLS_get_data_mtu).
    public var maxApplicationDataSize: Int {
        guard state == .connected else { return 0 }
        return Int(DTLS_get_data_mtu(ssl))
    }

    /// The negotiated cipher suite's OpenSSL name, once connected.
    public var cipherSuite: String? {
        guard state == .connected, let cipher = SSL_get_current_cipher(ssl), let name = SSL_CIPHER_get_name(cipher) else {
            return nil
        }
        return String(cString: name)
    }

    /// Datagrams a throwing call produced before it threw (the fatal alert).
    public func takePendingDatagrams() -> [[UInt8]] {
        defer { pendingDatagrams = [] }
        return pendingDatagrams
    }

    // MARK: - Handshake

    /// Runs `body`, then keeps the timer current; on a thrown error moves to `.failed` and
    /// keeps the alert OpenSSL wrote for `takePendingDatagrams()`.
    private func guarded<T>(now: ContinuousClock.Instant, _ body: () throws(DTLSError) -> T) throws(DTLSError) -> T {
        do {
            let result = try body()
            updateTimer(now: now)
            return result
        } catch {
            fail(error)
            pendingDatagrams += flushWriteBIO()
            throw error
        }
    }

    private func fail(_ error: DTLSError) {
        guard state != .failed else { return }
        state = .failed
        failure = error
        nextTimeout = nil
        handshakeDeadline = nil
    }

    /// SSL_do_handshake until it wants input; on completion checks the peer and exports keys.
    private func driveHandshake() throws(DTLSError) -> [DTLSEvent] {
        OpenSSLErrorQueue.clear()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return [try completeHandshake()] }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            pendingDatagrams += flushWriteBIO()
            return []
        default:
            throw failureReason(fallback: "SSL_do_handshake")
        }
    }

    private func completeHandshake() throws(DTLSError) -> DTLSEvent {
        // The verify callback has already compared the leaf; make sure it ran at all.
        guard let peer = SSL_get0_peer_certificate(ssl) else { throw .missingPeerCertificate }
        guard let fingerprint = matchingFingerprint(of: peer) else {
            throw .fingerprintMismatch(
                expected: configuration.remoteFingerprints,
                received: DTLSCertificate.fingerprint(of: peer, algorithm: "sha-256")
                    ?? SDPFingerprint(algorithm: "sha-256", bytes: []))
        }
        peerFingerprint = fingerprint
        var keys: SRTPKeyingMaterial?
        if let selected = SSL_get_selected_srtp_profile(ssl),
            let profile = SRTPProtectionProfile(rawValue: UInt16(truncatingIfNeeded: selected.pointee.id))
        {
            keys = try exportKeys(profile: profile)
        } else if configuration.requireSRTP {
            throw .noSRTPProfileNegotiated
        }
        keyingMaterial = keys
        state = .connected
        handshakeDeadline = nil
        return .connected(keys)
    }

    /// RFC 5764 §4.2: `2 * (key + salt)` bytes from the RFC 5705 exporter, no context.
    private func exportKeys(profile: SRTPProtectionProfile) throws(DTLSError) -> SRTPKeyingMaterial {
        var material = [UInt8](repeating: 0, count: profile.keyingMaterialLength)
        let label = Self.exporterLabel
        let ok = material.withUnsafeMutableBufferPointer { out in
            SSL_export_keying_material(ssl, out.baseAddress, out.count, label, label.utf8.count, nil, 0, 0)
        }
        defer { material.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        guard ok == 1, let keys = SRTPKeyingMaterial(profile: profile, exported: material) else {
            throw .keyExportFailed
        }
        return keys
    }

    /// SSL_read until it wants more input: application records, or close_notify.
    private func readApplicationData() throws(DTLSError) -> [DTLSEvent] {
        var events: [DTLSEvent] = []
        while state == .connected {
            OpenSSLErrorQueue.clear()
            let count = readBuffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if count > 0 {
                stats.applicationMessagesReceived += 1
                events.append(.applicationData(Array(readBuffer[0..<Int(count)])))
                continue
            }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return events
            case SSL_ERROR_ZERO_RETURN:
                // close_notify: answer it (RFC 5246 §7.2.1) and close.
                _ = SSL_shutdown(ssl)
                OpenSSLErrorQueue.clear()
                state = .closed
                nextTimeout = nil
                events.append(.closed)
            default:
                throw failureReason(fallback: "SSL_read")
            }
        }
        return events
    }

    /// The most specific reason for a failed handshake or read.
    private func failureReason(fallback: String) -> DTLSError {
        if let verificationFailure {
            OpenSSLErrorQueue.clear()
            return verificationFailure
        }
        if let receivedFatalAlert {
            OpenSSLErrorQueue.clear()
            return .alertReceived(receivedFatalAlert)
        }
        return .handshakeFailed(OpenSSLErrorQueue.drain(fallback: fallback))
    }

    // MARK: - Peer verification

    static func supports(_ algorithm: String) -> Bool {
        ["sha-1", "sha-224", "sha-256", "sha-384", "sha-512"].contains(algorithm.lowercased())
    }

    /// The remote fingerprint the certificate matches, if any (RFC 8122 §5).
    private func matchingFingerprint(of x509: OpaquePointer) -> SDPFingerprint? {
        configuration.remoteFingerprints.first { expected in
            guard let actual = DTLSCertificate.fingerprint(of: x509, algorithm: expected.algorithm) else { return false }
            return Digest.constantTimeEqual(actual.bytes, expected.bytes)
        }
    }

    /// SSL_verify_cb: only the leaf (depth 0) counts; self-signed is expected, so OpenSSL's own
    /// verdict (`preverify`) is ignored and the fingerprint decides.
    private static let verifyCallback: @convention(c) (Int32, OpaquePointer?) -> Int32 = { _, store in
        guard let store, let sslPointer = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
            let transport = DTLSTransport.from(OpaquePointer(sslPointer))
        else { return 0 }
        guard X509_STORE_CTX_get_error_depth(store) == 0 else { return 1 }
        guard let leaf = X509_STORE_CTX_get_current_cert(store) else { return 0 }
        if transport.matchingFingerprint(of: leaf) != nil { return 1 }
        // CERT_REJECTED makes OpenSSL send bad_certificate rather than unknown_ca.
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED)
        transport.verificationFailure = .fingerprintMismatch(
            expected: transport.configuration.remoteFingerprints,
            received: DTLSCertificate.fingerprint(of: leaf, algorithm: "sha-256") ?? SDPFingerprint(algorithm: "sha-256", bytes: []))
        return 0
    }

    /// SSL_CTX info callback: counts alerts both ways, remembers a fatal one received.
    private static let infoCallback: @convention(c) (OpaquePointer?, Int32, Int32) -> Void = { ssl, where_, value in
        guard where_ & SSL_CB_ALERT != 0, let transport = DTLSTransport.from(ssl) else { return }
        if where_ & SSL_CB_READ != 0 {
            transport.stats.alertsReceived += 1
            // value = level << 8 | description; level 2 = fatal (RFC 5246 §7.2).
            if value >> 8 == 2, let text = SSL_alert_desc_string_long(value) {
                transport.receivedFatalAlert = String(cString: text)
            }
        } else {
            transport.stats.alertsSent += 1
        }
    }

    /// DTLS_timer_cb: OpenSSL asks for the first interval (previous = 0) when a flight is
    /// sent and for the next one on every retransmission, which is where we count those.
    private static let timerCallback: @convention(c) (OpaquePointer?, UInt32) -> UInt32 = { ssl, previous in
        guard let transport = DTLSTransport.from(ssl) else { return 1_000_000 }
        let initial = microseconds(transport.configuration.initialRetransmitTimeout)
        let maximum = microseconds(transport.configuration.maxRetransmitTimeout)
        if previous == 0 { return initial }
        transport.stats.handshakeRetransmits += 1
        return min(previous &* 2, maximum)
    }

    private static func microseconds(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        return UInt32(clamping: max(micros, 1))
    }

    private static func from(_ ssl: OpaquePointer?) -> DTLSTransport? {
        guard let ssl, let raw = SSL_get_ex_data(ssl, 0) else { return nil }
        return Unmanaged<DTLSTransport>.fromOpaque(raw).takeUnretainedValue()
    }

    // MARK: - Output and timer

    private func takeDatagrams() -> [[UInt8]] {
        var out = pendingDatagrams
        pendingDatagrams = []
        out += flushWriteBIO()
        return out
    }

    /// Empties the write BIO into datagrams of at most `mtu` bytes.
    private func flushWriteBIO() -> [[UInt8]] {
        let pending = Int(BIO_ctrl_pending(writeBIO))
        guard pending > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: pending)
        let read = bytes.withUnsafeMutableBytes { BIO_read(writeBIO, $0.baseAddress, Int32(pending)) }
        guard read > 0 else { return [] }
        let (datagrams, records) = DTLSRecordFramer.pack(Array(bytes[0..<Int(read)]), mtu: configuration.mtu)
        stats.recordsSent += records
        stats.datagramsSent += datagrams.count
        stats.bytesSent += datagrams.reduce(0) { $0 + $1.count }
        return datagrams
    }

    /// `nextTimeout` = now + OpenSSL's time left on the flight timer, capped by the handshake
    /// deadline; nil outside the handshake.
    private func updateTimer(now: ContinuousClock.Instant) {
        guard state == .connecting else {
            nextTimeout = nil
            return
        }
        var left = timeval()
        var next = handshakeDeadline
        if parley_DTLSv1_get_timeout(ssl, &left) == 1 {
            let retransmit = now + .seconds(Int64(left.tv_sec)) + .microseconds(Int64(left.tv_usec))
            next = next.map { min($0, retransmit) } ?? retransmit
        }
        nextTimeout = next
    }
}
