// SPDX-License-Identifier: Apache-2.0

import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The thin I/O driver for an `ICEAgent`: one non-blocking UDP socket per host candidate,
/// the agent on a serial queue with a timer at `agent.nextTimeout`, and RFC 7983
/// demultiplexing of what arrives — STUN to the agent, everything else (DTLS, SRTP/SRTCP) to
/// `onPacket` (and noted as liveness on the selected pair).
///
/// Every method may be called from any thread; callbacks run on the driver's queue.
///
/// `@unchecked Sendable` because every mutable field (`agent`, `sockets`, `sources`,
/// `timer`, `closed`) is touched only on `queue`, a serial queue: the public methods hop
/// onto it (`queue.async`, or `queue.sync` unless already on it) and the dispatch sources deliver there too.
public final class UDPICESocket: @unchecked Sendable {
    public typealias EventHandler = @Sendable (ICEEvent) -> Void
    /// A non-STUN datagram, the address it came from and the local base it arrived on.
    public typealias PacketHandler = @Sendable ([UInt8], TransportAddress, TransportAddress) -> Void

    private let queue = DispatchQueue(label: "parley.ice.udp")
    /// Marks `queue`, so calls made from a callback (already on it) run inline, not deadlock.
    private let queueKey = DispatchSpecificKey<UInt8>()
    private let agent: ICEAgent
    private var sockets: [TransportAddress: Int32] = [:]
    private var sources: [any DispatchSourceRead] = []
    private var timer: (any DispatchSourceTimer)?
    private var closed = false
    private let onEvent: EventHandler
    private let onPacket: PacketHandler

    /// Binds one socket per address (port 0 picks an ephemeral port). With `addresses` nil,
    /// uses `ICEInterfaces.hostAddresses(includeLoopback: configuration.includeLoopback)`.
    public init(
        configuration: ICEAgentConfiguration, credentials: ICECredentials = .random(),
        addresses: [IPAddress]? = nil, onEvent: @escaping EventHandler, onPacket: @escaping PacketHandler
    ) throws(ICESocketError) {
        self.agent = ICEAgent(configuration: configuration, credentials: credentials)
        self.onEvent = onEvent
        self.onPacket = onPacket
        let wanted = addresses ?? ICEInterfaces.hostAddresses(includeLoopback: configuration.includeLoopback)
        for address in wanted {
            let fd = try Self.bind(TransportAddress(address: address, port: 0))
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let bound = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> TransportAddress? in
                    getsockname(fd, pointer, &length) == 0 ? ICESocketAddress.decode(pointer) : nil
                }
            }
            guard let bound else {
                closeDescriptor(fd)
                throw .bindFailed(address: "\(address)", errno: errno)
            }
            sockets[bound] = fd
        }
        guard !sockets.isEmpty else { throw .noAddresses }
        queue.setSpecific(key: queueKey, value: 1)
    }

    deinit {
        timer?.cancel()
        releaseSockets()
    }

    private func onQueue<T>(_ body: () -> T) -> T {
        DispatchQueue.getSpecific(key: queueKey) == 1 ? body() : queue.sync(execute: body)
    }

    /// The local socket addresses (one per host candidate).
    public var localAddresses: [TransportAddress] { onQueue { Array(sockets.keys) } }
    public var localCredentials: ICECredentials { onQueue { agent.localCredentials } }
    public var state: ICEConnectionState { onQueue { agent.state } }
    public var stats: ICEStats { onQueue { agent.stats } }
    public var selectedPair: ICESelectedPair? { onQueue { agent.selectedPair } }
    public var role: ICERole { onQueue { agent.role } }

    /// Starts receiving and gathers (host candidates, then server-reflexive ones).
    public func start() {
        queue.async { [self] in
            guard !closed, sources.isEmpty else { return }
            for (base, fd) in sockets {
                let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
                source.setEventHandler { [weak self] in self?.drain(fd: fd, base: base) }
                // A descriptor watched by a source is closed only once the source is cancelled
                // (closing it under a live source is undefined for dispatch).
                source.setCancelHandler { closeDescriptor(fd) }
                source.resume()
                sources.append(source)
            }
            apply(agent.gather(hostAddresses: Array(sockets.keys).sorted { $0.description < $1.description }, now: .now))
        }
    }

    public func setRemoteCredentials(_ credentials: ICECredentials, lite: Bool = false) {
        queue.async { [self] in apply(agent.setRemoteCredentials(credentials, lite: lite, now: .now)) }
    }

    public func addRemoteCandidate(_ candidate: ICECandidate) {
        queue.async { [self] in apply(agent.addRemoteCandidate(candidate, now: .now)) }
    }

    public func addRemoteEndOfCandidates() {
        queue.async { [self] in agent.addRemoteEndOfCandidates() }
    }

    public func restart(credentials: ICECredentials = .random()) {
        queue.async { [self] in apply(agent.restart(credentials: credentials, now: .now)) }
    }

    /// Sends one application datagram on the selected pair; false when there is none.
    @discardableResult
    public func send(_ payload: [UInt8]) -> Bool {
        onQueue {
            guard !closed, let transmit = agent.transmit(payload) else { return false }
            return send(transmit)
        }
    }

    /// Stops the agent and releases the sockets now (not when the last reference goes): a
    /// closed peer connection must not hold ports or descriptors (`localAddresses` is empty
    /// afterwards). Idempotent.
    public func close() {
        onQueue {
            guard !closed else { return }
            apply(agent.close())
            closed = true
            timer?.cancel()
            timer = nil
            releaseSockets()
        }
    }

    /// Cancels the read sources (their cancel handlers close the descriptors) or, before
    /// `start()`, closes the descriptors directly.
    private func releaseSockets() {
        if sources.isEmpty {
            for fd in sockets.values { closeDescriptor(fd) }
        } else {
            for source in sources { source.cancel() }
        }
        sources = []
        sockets = [:]
    }

    // MARK: - On the queue

    private func apply(_ output: ICEOutput) {
        for transmit in output.transmits { _ = send(transmit) }
        for event in output.events { onEvent(event) }
        rearmTimer()
    }

    private func rearmTimer() {
        timer?.cancel()
        timer = nil
        guard !closed, let next = agent.nextTimeout else { return }
        let delay = max(.zero, next - ContinuousClock.now)
        let (seconds, attoseconds) = delay.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        let source = DispatchSource.makeTimerSource(queue: queue)
        source.schedule(deadline: .now() + .nanoseconds(nanoseconds), leeway: .milliseconds(1))
        source.setEventHandler { [weak self] in
            guard let self, !self.closed else { return }
            self.apply(self.agent.handleTimeout(now: .now))
        }
        source.resume()
        timer = source
    }

    private func send(_ transmit: ICETransmit) -> Bool {
        guard let fd = sockets[transmit.from] else { return false }
        let sent = transmit.bytes.withUnsafeBytes { bytes in
            ICESocketAddress.withSockaddr(transmit.to) { address, length in
                sendto(fd, bytes.baseAddress, bytes.count, 0, address, length)
            }
        }
        return sent == transmit.bytes.count
    }

    private func drain(fd: Int32, base: TransportAddress) {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = buffer.withUnsafeMutableBytes { raw in
                withUnsafeMutablePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), $0, &length)
                    }
                }
            }
            guard count > 0 else { break }
            let source = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { ICESocketAddress.decode($0) }
            }
            guard let source else { continue }
            let datagram = Array(buffer[0..<count])
            let now = ContinuousClock.now
            // RFC 7983 §7: first byte 0–3 is STUN; the rest belongs to DTLS/SRTP above ICE.
            if PacketDemux.classify(datagram) == .stun {
                apply(agent.receive(datagram, from: source, to: base, now: now))
            } else {
                apply(agent.noteInboundTraffic(from: source, to: base, now: now))
                onPacket(datagram, source, base)
            }
        }
    }

    private static func bind(_ address: TransportAddress) throws(ICESocketError) -> Int32 {
        let family = address.address.family == .v4 ? AF_INET : AF_INET6
        #if canImport(Glibc)
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        #else
        let fd = socket(family, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { throw .bindFailed(address: "\(address)", errno: errno) }
        if family == AF_INET6 {
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let result = ICESocketAddress.withSockaddr(address) { bindDescriptor(fd, $0, $1) }
        guard result == 0 else {
            let code = errno
            closeDescriptor(fd)
            throw .bindFailed(address: "\(address)", errno: code)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }
}

private func closeDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}

private func bindDescriptor(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    #if canImport(Glibc)
    Glibc.bind(fd, address, length)
    #else
    Darwin.bind(fd, address, length)
    #endif
}

/// Why the socket driver could not start.
public enum ICESocketError: Error, Sendable, Hashable, CustomStringConvertible {
    case noAddresses
    case bindFailed(address: String, errno: Int32)

    public var description: String {
        switch self {
        case .noAddresses: "no interface address to bind a host candidate to"
        case .bindFailed(let address, let code): "cannot bind UDP \(address): errno \(code)"
        }
    }
}
