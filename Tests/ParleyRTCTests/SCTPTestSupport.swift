// SPDX-License-Identifier: Apache-2.0

import Synchronization
import Testing
@testable import ParleyRTC

/// One direction of an in-memory link between two associations, with optional seeded loss.
final class SCTPMemoryLink: SCTPLowerTransport, Sendable {
    struct State {
        var peer: SCTPAssociation?
        var random: UInt64
        var sent = 0
        var dropped = 0
        var largest = 0
        var packets: [[UInt8]] = []
    }
    let state: Mutex<State>
    let lossRate: Double
    let keepPackets: Bool

    init(lossRate: Double = 0, seed: UInt64 = 0x5C7F, keepPackets: Bool = false) {
        self.lossRate = lossRate
        self.keepPackets = keepPackets
        state = Mutex(State(random: seed | 1))
    }

    func send(_ bytes: [UInt8]) {
        let peer: SCTPAssociation? = state.withLock { state in
            state.sent += 1
            state.largest = max(state.largest, bytes.count)
            if keepPackets { state.packets.append(bytes) }
            // xorshift64: deterministic loss pattern.
            state.random ^= state.random << 13
            state.random ^= state.random >> 7
            state.random ^= state.random << 17
            if Double(state.random % 10_000) / 10_000 < lossRate {
                state.dropped += 1
                return nil
            }
            return state.peer
        }
        peer?.receive(bytes)
    }
}

/// Everything a channel or association reported, for assertions.
final class SCTPRecorder: Sendable {
    struct Log {
        var events: [String] = []
        var messages: [DataChannelMessage] = []
        var remoteChannels: [DataChannel] = []
        var states: [SCTPAssociationState] = []
    }
    let log = Mutex(Log())

    var events: [String] { log.withLock { $0.events } }
    var messages: [DataChannelMessage] { log.withLock { $0.messages } }
    var remoteChannels: [DataChannel] { log.withLock { $0.remoteChannels } }
    var states: [SCTPAssociationState] { log.withLock { $0.states } }

    func watch(_ channel: DataChannel) {
        let label = channel.label
        channel.onOpen = { [self] in log.withLock { $0.events.append("open \(label)") } }
        channel.onClose = { [self] in log.withLock { $0.events.append("close \(label)") } }
        channel.onMessage = { [self] message in log.withLock { $0.messages.append(message) } }
    }

    func watch(_ association: SCTPAssociation) {
        association.onStateChange = { [self] state in log.withLock { $0.states.append(state) } }
        association.onDataChannel = { [self] channel in
            watch(channel)
            log.withLock { $0.remoteChannels.append(channel) }
        }
    }
}

/// Two associations joined in memory: `client` has the DTLS client role (even stream ids).
struct SCTPPair {
    let client: SCTPAssociation
    let server: SCTPAssociation
    let clientLink: SCTPMemoryLink
    let serverLink: SCTPMemoryLink
    let clientLog = SCTPRecorder()
    let serverLog = SCTPRecorder()

    init(lossRate: Double = 0, keepPackets: Bool = false, configure: (inout SCTPAssociation.Configuration) -> Void = { _ in }) {
        clientLink = SCTPMemoryLink(lossRate: lossRate, seed: 0x1234_5678, keepPackets: keepPackets)
        serverLink = SCTPMemoryLink(lossRate: lossRate, seed: 0x8765_4321, keepPackets: keepPackets)
        var clientConfig = SCTPAssociation.Configuration(role: .client)
        var serverConfig = SCTPAssociation.Configuration(role: .server)
        for index in 0..<2 {
            var config = index == 0 ? clientConfig : serverConfig
            config.rtoInitial = .milliseconds(200)
            config.rtoMin = .milliseconds(100)
            config.rtoMax = .seconds(1)
            configure(&config)
            if index == 0 { clientConfig = config } else { serverConfig = config }
        }
        client = SCTPAssociation(transport: clientLink, configuration: clientConfig)
        server = SCTPAssociation(transport: serverLink, configuration: serverConfig)
        clientLink.state.withLock { $0.peer = server }
        serverLink.state.withLock { $0.peer = client }
        clientLog.watch(client)
        serverLog.watch(server)
    }

    /// Both sides start (both send INIT, as in WebRTC) and wait for the association.
    func connect() async throws {
        try client.start()
        try server.start()
        try await waitUntil("association up") { client.state == .connected && server.state == .connected }
    }

    func close() {
        client.close()
        server.close()
    }
}

struct SCTPTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` every 5 ms until it holds or `timeout` passes.
func waitUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw SCTPTimeout(what: what) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Deterministic payload bytes.
func sctpPayload(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
}

/// CRC32c (Castagnoli, reflected 0x82F63B78), as SCTP's checksum (RFC 4960 Appendix B), so
/// fuzzed packets can get past the checksum check.
func sctpCRC32c(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return ~crc
}

/// Writes a valid checksum into an SCTP packet (bytes 8–11, little-endian as RFC 4960 App. B says).
func sctpWithChecksum(_ packet: [UInt8]) -> [UInt8] {
    guard packet.count >= 12 else { return packet }
    var packet = packet
    packet[8..<12] = [0, 0, 0, 0]
    let crc = sctpCRC32c(packet)
    packet[8] = UInt8(crc & 0xFF)
    packet[9] = UInt8(crc >> 8 & 0xFF)
    packet[10] = UInt8(crc >> 16 & 0xFF)
    packet[11] = UInt8(crc >> 24)
    return packet
}
