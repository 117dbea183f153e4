// SPDX-License-Identifier: Apache-2.0

import CUsrSCTP
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process-wide usrsctp instance and the one serial queue every association lives on.
///
/// Why usrsctp: a correct SCTP (RFC 4960 + PR-SCTP RFC 3758 + stream reset RFC 6525 + INIT
/// collisions §5.2) is the largest single piece of the data-channel work; usrsctp is the
/// stack Firefox and (until dcsctp) Chrome ship, BSD-3-licensed, packaged by Debian
/// (`libusrsctp-dev`), and its AF_CONN mode moves packets through callbacks, which is
/// exactly RFC 8261's SCTP-over-DTLS.
///
/// Threading. usrsctp's state is global (one `usrsctp_init` per process). We initialise it
/// with `usrsctp_init_nothreads`, so it starts no threads of its own: its timers advance
/// only when we call `usrsctp_handle_timers`, and its callbacks (`conn_output`, the socket's
/// receive callback) run only inside our own usrsctp calls. Every usrsctp call is made on
/// `queue`, so every callback runs on `queue` too, and the associations' state is confined
/// to it. Callbacks never call back into usrsctp or into the application: they only append
/// to the association's outbox or inbox, which `drain()` empties after the usrsctp call has
/// returned — that is where packets go to the lower transport and events to the handlers.
///
///     any thread ──receive(packet)──► queue.async ──► usrsctp_conninput ──callbacks──► inbox/outbox
///     app ──send/open/close (sync)──► queue ──► usrsctp_sendv …                           │
///     10 ms timer on queue ──► usrsctp_handle_timers                                       │
///                                          drain() ◄───────────────────────────────────────┘
///                                            ├─► SCTPLowerTransport.send(packet)
///                                            └─► onDataChannel / onOpen / onMessage / onClose
///
/// `@unchecked Sendable`: all mutable state is touched only on `queue` (checked by `run`'s
/// `DispatchSpecificKey`), which the compiler cannot see.
final class SCTPStack: @unchecked Sendable {
    static let shared = SCTPStack()

    let queue = DispatchQueue(label: "parley.sctp")
    private let queueKey = DispatchSpecificKey<Bool>()
    /// Live associations by id; the id (as a pointer value) is also their AF_CONN address.
    private var associations: [Int: SCTPAssociation] = [:]
    private var nextID = 1
    private var timer: (any DispatchSourceTimer)?
    private var lastTick = ContinuousClock.now
    private var carriedMicroseconds: Int64 = 0
    /// The usrsctp timer granularity we drive.
    static let tick: Duration = .milliseconds(10)

    private init() {
        queue.setSpecific(key: queueKey, value: true)
        parley_sctp_init_nothreads(SCTPStack.connOutput)
        // RFC 8831 §6.2 needs PR-SCTP (RFC 3758) and stream reconfiguration (RFC 6525); WebRTC
        // peers (pion, aiortc, browsers) use neither ECN nor AUTH/ASCONF.
        usrsctp_sysctl_set_sctp_pr_enable(1)
        usrsctp_sysctl_set_sctp_reconfig_enable(1)
        usrsctp_sysctl_set_sctp_ecn_enable(0)
        usrsctp_sysctl_set_sctp_asconf_enable(0)
        usrsctp_sysctl_set_sctp_auth_enable(0)
        // Reply to out-of-the-blue packets? No: answering garbage helps nobody (RFC 4960 §8.4 allows silence).
        usrsctp_sysctl_set_sctp_blackhole(2)
    }

    var isOnQueue: Bool { DispatchQueue.getSpecific(key: queueKey) == true }

    /// Runs `body` on the queue: inline when already there (handlers calling back into the
    /// API), else synchronously.
    func run<T>(_ body: () throws -> T) rethrows -> T {
        if isOnQueue { return try body() }
        return try queue.sync(execute: body)
    }

    // MARK: - Registry (on the queue)

    func register(_ association: SCTPAssociation) -> Int {
        dispatchPrecondition(condition: .onQueue(queue))
        let id = nextID
        nextID += 1
        associations[id] = association
        usrsctp_register_address(UnsafeMutableRawPointer(bitPattern: id))
        startTimerIfNeeded()
        return id
    }

    func deregister(_ id: Int) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard associations.removeValue(forKey: id) != nil else { return }
        usrsctp_deregister_address(UnsafeMutableRawPointer(bitPattern: id))
        if associations.isEmpty {
            timer?.cancel()
            timer = nil
        }
    }

    func association(_ id: Int) -> SCTPAssociation? { associations[id] }

    /// Delivers what the last usrsctp call produced, for every association (their outboxes
    /// and inboxes may fill from one call: a packet can trigger output on another socket).
    func drain() {
        dispatchPrecondition(condition: .onQueue(queue))
        for association in Array(associations.values) { association.drain() }
    }

    // MARK: - Timers

    private func startTimerIfNeeded() {
        guard timer == nil else { return }
        lastTick = .now
        carriedMicroseconds = 0
        let source = DispatchSource.makeTimerSource(queue: queue)
        source.schedule(deadline: .now() + .milliseconds(10), repeating: .milliseconds(10), leeway: .milliseconds(2))
        source.setEventHandler { [unowned self] in self.fireTimers() }
        source.resume()
        timer = source
    }

    /// usrsctp_handle_timers with the real elapsed time (its RTO, SACK delay and heartbeat
    /// timers all run on this clock).
    private func fireTimers() {
        let now = ContinuousClock.now
        let elapsed = now - lastTick
        lastTick = now
        let total = carriedMicroseconds + elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        let milliseconds = total / 1000
        carriedMicroseconds = total % 1000
        guard milliseconds > 0 else { return }
        usrsctp_handle_timers(UInt32(clamping: milliseconds))
        drain()
    }

    // MARK: - usrsctp callbacks (on the queue, inside a usrsctp call)

    /// conn_output: one outbound SCTP packet for the association whose address is `address`.
    private static let connOutput: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int, UInt8, UInt8) -> Int32 = {
        address, buffer, length, _, _ in
        guard let buffer, length > 0, let association = SCTPStack.shared.association(Int(bitPattern: address)) else { return 0 }
        let bytes = Array(UnsafeRawBufferPointer(start: buffer, count: length))
        association.enqueueOutbound(bytes)
        return 0
    }
}
