// SPDX-License-Identifier: Apache-2.0

import ParleyRTC
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One direction of the in-memory lower transport: what an association sends, kept for the
/// checks and (while `deliver` is on) handed to the peer's `receive(_:)`, the entry point the
/// peer connection feeds with decrypted DTLS application data.
///
/// The peer is held weakly: the two associations of a pair would otherwise keep each other
/// alive through their transports. A closed association stays registered with the SCTP stack
/// for two seconds (its SHUTDOWN exchange), so the weak reference lasts exactly as long as
/// that needs.
final class FuzzLink: SCTPLowerTransport, Sendable {
    struct State {
        weak var peer: SCTPAssociation?
        var deliver = true
        var packets: [[UInt8]] = []
    }

    let state = Mutex(State())

    func send(_ bytes: [UInt8]) {
        let peer: SCTPAssociation? = state.withLock { state in
            state.packets.append(bytes)
            return state.deliver ? state.peer : nil
        }
        peer?.receive(bytes)
    }

    var packets: [[UInt8]] { state.withLock { $0.packets } }
    func clear() { state.withLock { $0.packets = [] } }
    var sentCount: Int { state.withLock { $0.packets.count } }
    func setDeliver(_ deliver: Bool) { state.withLock { $0.deliver = deliver } }
}

/// Where the victim's state went, to check it never leaves closed/failed.
final class StateLog: Sendable {
    let states = Mutex<[SCTPAssociationState]>([])
    func append(_ state: SCTPAssociationState) { states.withLock { $0.append(state) } }
}

/// The FuzzSCTP properties, checked on every input (victims are reused across inputs while
/// they stay in the state their mode is about; see `kept`):
///
/// - feeding any packets to `SCTPAssociation.receive(_:)` never traps (in our code or in
///   usrsctp under ASan's interceptors);
/// - every packet the association sends has a valid CRC32c, fits the configured MTU (one
///   DTLS record, RFC 8261 §5), and carries our ports (or answers an out-of-the-blue packet);
/// - a delivered message never exceeds `maxMessageSize`;
/// - the state never leaves `.closed`/`.failed`, and `close()` always ends there;
/// - the data-channel API (`createDataChannel`, `send`, `close`) on whatever state the input
///   left only ever throws.
///
/// Input layout. Byte 0 is the mode:
///
/// - bit 0 clear: the victim is the server end of an ESTABLISHED pair (both sides sent INIT,
///   as WebRTC does; the client opened a reliable channel with DCEP and the server answered),
///   which has sent three messages the client has not acknowledged, so SACKs have something
///   to act on. Set: the victim is a lone client that has only sent INIT
///   (COOKIE-WAIT), with a channel waiting to open, so INIT-ACK/COOKIE-ACK can take it up.
/// - bit 1 set: leave TSN fields alone (see below).
/// - bit 2 set: live link: what the victim sends during the input reaches the peer, and the
///   peer's answers come back.
/// - bit 3 set: after the packets, use the channel API on the victim (send, close a channel,
///   open one).
///
/// The rest is packets, each behind a 16-bit big-endian word: the low 14 bits are the length;
/// bit 15 set means the packet carries its own 12-byte common header (ports, verification
/// tag), else the harness prepends one with our ports and the tag the victim expects; bit 14
/// set means verification tag 0 in that prepended header (INIT, RFC 9260 §8.5.1). Either way
/// the harness writes the CRC32c. Unless mode bit 1 is set, TSNs are relative: the harness
/// adds the TSN the victim expects next (as its last SACK said) to DATA/I-DATA/FORWARD-TSN/
/// I-FORWARD-TSN, and the victim's last acknowledged TSN to the cumulative TSN ack of
/// SACK/NR-SACK/SHUTDOWN; an INIT or INIT-ACK in the input resets the former to its initial
/// TSN. The stream sequence number of an ordered DATA chunk is relative too, to the one after
/// the last fed on its stream: usrsctp aborts the association on a number it has already
/// delivered, which is not worth finding again on every reused victim.
enum SCTPFuzz {
    static let port: UInt16 = 5000
    static let maxPacketsPerInput = 64

    static func configuration(role: DTLSRole) -> SCTPAssociation.Configuration {
        var config = SCTPAssociation.Configuration(role: role)
        // Short timers, so an association the input broke gives up its retransmissions (and
        // usrsctp its memory) within seconds rather than a minute.
        config.rtoInitial = .milliseconds(200)
        config.rtoMin = .milliseconds(100)
        config.rtoMax = .seconds(1)
        return config
    }

    /// Waits until nothing the associations sent is still in flight: each `state` read is a
    /// synchronous hop onto the SCTP queue, behind every `receive` queued before it.
    static func settle(_ association: SCTPAssociation, _ links: [FuzzLink]) {
        for _ in 0..<100_000 {
            let before = links.reduce(0) { $0 + $1.sentCount }
            _ = association.state
            if links.reduce(0, { $0 + $1.sentCount }) == before { return }
        }
        preconditionFailure("the associations kept sending to each other without end")
    }

    struct Victim {
        let association: SCTPAssociation
        let link: FuzzLink
        /// The peer, for the established mode.
        let peer: SCTPAssociation?
        let peerLink: FuzzLink?
        let channel: DataChannel?
        let peerChannel: DataChannel?
        let states: StateLog
        let verificationTag: UInt32
        var nextTSN: UInt32
        var ackedTSN: UInt32
        /// Per stream, the ordered-delivery stream sequence number after the last one fed.
        var nextSSN: [UInt16: UInt16] = [:]
    }

    static func watch(_ association: SCTPAssociation) -> StateLog {
        let log = StateLog()
        let limit = association.configuration.maxMessageSize
        association.onStateChange = { log.append($0) }
        association.onDataChannel = { watch($0, limit: limit) }
        return log
    }

    static func watch(_ channel: DataChannel, limit: Int) {
        channel.onMessage = { message in
            precondition(message.count <= limit, "delivered a \(message.count)-byte message over the \(limit)-byte limit")
        }
    }

    /// A client and a server joined in memory, ESTABLISHED, with a DCEP-opened channel each way.
    static func establishedServer() -> Victim {
        let clientLink = FuzzLink()
        let serverLink = FuzzLink()
        let client = SCTPAssociation(transport: clientLink, configuration: configuration(role: .client))
        let server = SCTPAssociation(transport: serverLink, configuration: configuration(role: .server))
        clientLink.state.withLock { $0.peer = server }
        serverLink.state.withLock { $0.peer = client }
        let states = watch(server)
        let serverChannel: DataChannel
        let clientChannel: DataChannel
        do {
            try client.start()
            try server.start()
            settle(server, [clientLink, serverLink])
            precondition(client.state == .connected && server.state == .connected, "fixture: association not up")
            clientChannel = try client.createDataChannel(label: "fuzz")
            serverChannel = try server.createDataChannel(label: "fuzz-server", reliability: .unorderedUnreliable)
            watch(serverChannel, limit: server.configuration.maxMessageSize)
            settle(server, [clientLink, serverLink])
            precondition(clientChannel.state == .open && serverChannel.state == .open, "fixture: channels not open")
        } catch {
            preconditionFailure("fixture: \(error)")
        }
        // TSN state as the fuzzed packets must address it: the next TSN the server expects
        // from the client, and the last of its own TSNs the client acknowledged.
        let fromClient = clientLink.packets
        guard let tag = fromClient.last.map({ SCTPWire.read32($0, 4) }),
            let clientTSN = fromClient.flatMap(SCTPWire.dataTSNs).last,
            let serverTSN = serverLink.packets.flatMap(SCTPWire.dataTSNs).last
        else { preconditionFailure("fixture: no DATA seen") }
        // Three messages the client never acknowledges: the fuzzed SACKs act on them.
        serverLink.setDeliver(false)
        do {
            for index in 0..<3 { try serverChannel.send(binary: [UInt8](repeating: UInt8(index), count: 100 + 400 * index)) }
        } catch {
            preconditionFailure("fixture: send \(error)")
        }
        _ = server.state
        clientLink.setDeliver(false)
        return Victim(
            association: server, link: serverLink, peer: client, peerLink: clientLink, channel: serverChannel,
            peerChannel: clientChannel, states: states,
            verificationTag: tag, nextTSN: clientTSN &+ 1, ackedTSN: serverTSN, nextSSN: [0: 1, 1: 1])
    }

    /// A client that has sent INIT to nobody, with a channel waiting for the association.
    static func loneClient() -> Victim {
        let link = FuzzLink()
        let client = SCTPAssociation(transport: link, configuration: configuration(role: .client))
        let states = watch(client)
        let channel: DataChannel
        do {
            channel = try client.createDataChannel(label: "fuzz")
            watch(channel, limit: client.configuration.maxMessageSize)
            try client.start()
        } catch {
            preconditionFailure("fixture: \(error)")
        }
        _ = client.state
        guard let initiation = link.packets.first.flatMap(SCTPWire.initiation) else { preconditionFailure("fixture: no INIT") }
        // Everything addressed to the client carries the tag it chose in its INIT.
        return Victim(
            association: client, link: link, peer: nil, peerLink: nil, channel: channel, peerChannel: nil, states: states,
            verificationTag: initiation.tag, nextTSN: 0, ackedTSN: initiation.initialTSN &- 1)
    }

    /// Splits the input into the packets to feed (header, relative TSNs and checksum applied).
    static func packets(_ input: [UInt8], victim: inout Victim, relocate: Bool) -> [[UInt8]] {
        var packets: [[UInt8]] = []
        var offset = 1
        while offset + 2 <= input.count, packets.count < maxPacketsPerInput {
            let word = Int(input[offset]) << 8 | Int(input[offset + 1])
            offset += 2
            let end = min(offset + (word & 0x3FFF), input.count)
            var packet: [UInt8]
            if word & 0x8000 != 0 {
                packet = Array(input[offset..<end])
            } else {
                let tag = word & 0x4000 != 0 ? 0 : victim.verificationTag
                packet = [UInt8(port >> 8), UInt8(port & 0xFF), UInt8(port >> 8), UInt8(port & 0xFF), 0, 0, 0, 0, 0, 0, 0, 0]
                SCTPWire.write32(tag, into: &packet, at: 4)
                packet += input[offset..<end]
            }
            offset = end
            if relocate {
                SCTPWire.forEachChunk(packet) { type, chunk, length in
                    guard length >= 8, chunk + 8 <= packet.count else { return }
                    switch type {
                    case SCTPWire.data:
                        SCTPWire.write32(SCTPWire.read32(packet, chunk + 4) &+ victim.nextTSN, into: &packet, at: chunk + 4)
                        SCTPWire.relocateSSN(&packet, chunk: chunk, length: length, next: &victim.nextSSN, toVictim: true)
                    case SCTPWire.iData, SCTPWire.forwardTSN, SCTPWire.iForwardTSN:
                        SCTPWire.write32(SCTPWire.read32(packet, chunk + 4) &+ victim.nextTSN, into: &packet, at: chunk + 4)
                    case SCTPWire.sack, SCTPWire.nrSack, SCTPWire.shutdown:
                        SCTPWire.write32(SCTPWire.read32(packet, chunk + 4) &+ victim.ackedTSN, into: &packet, at: chunk + 4)
                    case SCTPWire.initChunk, SCTPWire.initAck:
                        if length >= 20, chunk + 20 <= packet.count { victim.nextTSN = SCTPWire.read32(packet, chunk + 16) }
                    default:
                        break
                    }
                }
            }
            packets.append(SCTPWire.withChecksum(packet))
        }
        return packets
    }

    /// Every packet the victim sent: a whole common header, a valid CRC32c, no larger than
    /// the MTU, and our ports, or the fed packet's ports swapped when usrsctp answers an
    /// out-of-the-blue packet (SHUTDOWN COMPLETE for a SHUTDOWN ACK, RFC 9260 §8.4).
    static func checkSent(_ sent: [[UInt8]], fed: [[UInt8]], mtu: Int) {
        func ports(_ packet: [UInt8]) -> UInt32 { SCTPWire.read32(packet, 0) }
        let answerable = Set(fed.filter { $0.count >= 4 }.map { ports($0) >> 16 | ports($0) << 16 })
        for packet in sent {
            precondition(packet.count >= SCTPWire.headerLength, "sent a \(packet.count)-byte packet")
            precondition(packet.count <= mtu, "sent a \(packet.count)-byte packet over the \(mtu)-byte MTU")
            precondition(SCTPWire.hasValidChecksum(packet), "sent a packet with a bad CRC32c")
            let sentPorts = ports(packet)
            precondition(sentPorts == UInt32(port) << 16 | UInt32(port) || answerable.contains(sentPorts), "sent from/to ports \(sentPorts)")
        }
    }

    /// Victims kept from one input to the next (index 0 the established pair, 1 the lone
    /// client) while they are still in the state their mode is about, at most `maxReuse`
    /// inputs each. Setting up a pair costs about 3 ms, two orders of magnitude more than most
    /// inputs, and every closed association stays registered for two seconds, which makes
    /// each usrsctp call slower (SCTPStack.drain visits all of them). PARLEY_FUZZ_SCTP_FRESH=1
    /// sets up a new victim for every input: use it to reproduce and minimise a crash that
    /// depended on earlier inputs.
    nonisolated(unsafe) static var kept: [Victim?] = [nil, nil]
    nonisolated(unsafe) static var uses = [0, 0]
    static let maxReuse = 1000
    static let fresh = getenv("PARLEY_FUZZ_SCTP_FRESH").map { String(cString: $0) == "1" } ?? false

    static func run(_ input: [UInt8]) {
        let mode = input.first ?? 0
        let slot = Int(mode & 1)
        var victim: Victim
        if let reused = kept[slot], uses[slot] < maxReuse, !fresh {
            victim = reused
            uses[slot] += 1
        } else {
            if let old = kept[slot] { tearDown(old) }
            victim = slot == 0 ? establishedServer() : loneClient()
            uses[slot] = 0
        }
        kept[slot] = nil
        let association = victim.association
        let links = [victim.link] + (victim.peerLink.map { [$0] } ?? [])
        for link in links {
            link.clear()
            link.setDeliver(mode & 4 != 0)
        }

        // All of the input's packets at once: the queue takes them in order, and the victim's
        // answers are not delivered anyway (unless live, where interleaving is the point).
        let fed = packets(input, victim: &victim, relocate: mode & 2 == 0)
        for packet in fed { association.receive(packet) }
        settle(association, links)

        if mode & 8 != 0 {
            // The API on whatever state the input left: may throw, must not trap.
            if let channel = victim.channel, channel.state == .open {
                try? channel.send(text: "after")
                channel.close()
            }
            if let late = try? association.createDataChannel(label: "late", reliability: .init(ordered: false, maxPacketLifeTime: 10)) {
                late.close()
            }
            settle(association, links)
        }
        checkSent(victim.link.packets, fed: fed, mtu: association.configuration.mtu)
        let states = victim.states.states.withLock { $0 }
        if let end = states.firstIndex(where: { $0 == .closed || $0 == .failed }) {
            precondition(states[end...].allSatisfy { $0 == .closed || $0 == .failed }, "state left closed/failed: \(states)")
        }

        // A SACK from the victim tells where its cumulative TSN got to: the next input's
        // relative TSN 0 is the one after it.
        for packet in victim.link.packets {
            SCTPWire.forEachChunk(packet) { type, chunk, length in
                if type == SCTPWire.sack, length >= 16, chunk + 8 <= packet.count {
                    victim.nextTSN = SCTPWire.read32(packet, chunk + 4) &+ 1
                }
            }
        }
        // Keep the established server while it is connected, the lone client while it is still
        // in COOKIE-WAIT (connecting, and it has not answered an INIT-ACK with COOKIE-ECHO).
        let state = association.state
        var keep = slot == 0 ? state == .connected : state == .connecting
        if slot == 1 {
            for packet in victim.link.packets {
                SCTPWire.forEachChunk(packet) { type, _, _ in if type == SCTPWire.cookieEcho { keep = false } }
            }
        }
        if keep, !fresh {
            kept[slot] = victim
        } else {
            tearDown(victim)
        }
    }

    /// Reconnects the pair so the SHUTDOWN exchange can finish (usrsctp frees an association
    /// only then, or once its retransmissions give up), closes both ends, and checks `close()`.
    static func tearDown(_ victim: Victim) {
        let links = [victim.link] + (victim.peerLink.map { [$0] } ?? [])
        for link in links {
            link.clear()
            link.setDeliver(true)
        }
        victim.association.close()
        victim.peer?.close()
        settle(victim.association, links)
        let final = victim.association.state
        precondition(final == .closed || final == .failed, "close() left \(final)")
        checkSent(victim.link.packets, fed: [], mtu: victim.association.configuration.mtu)
    }
}
