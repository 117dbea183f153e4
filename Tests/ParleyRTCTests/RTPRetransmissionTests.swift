// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import ParleyRTC

@Suite("RTP retransmission buffer and NACK generation (RFC 4585 §6.2.1)")
struct RTPRetransmissionTests {
    static func packet(_ sequence: UInt16) -> [UInt8] {
        let header = RTPHeader(payloadType: 111, sequenceNumber: sequence, timestamp: UInt32(sequence) * 960, ssrc: 7)
        return try! RTPPacket(header: header, payload: [UInt8](repeating: UInt8(truncatingIfNeeded: sequence), count: 60)).serialize()
    }

    @Test("answers a NACK with the packets it holds, byte for byte, and counts the rest missing")
    func answersNACK() {
        let buffer = RTPRetransmissionBuffer(capacity: 64, maxAge: .seconds(1))
        let start = ContinuousClock.now
        // 100 packets across the 16-bit wrap, 20 ms apart.
        for i in 0..<100 {
            let sequence = UInt16(65_500) &+ UInt16(i)
            buffer.store(sequenceNumber: sequence, packet: Self.packet(sequence), now: start + .milliseconds(20 * i))
        }
        // The ring holds the last 64 (sequence 0…63, after the wrap); of those, packets from
        // sequence 14 on are under 1 s old.
        let now = start + .milliseconds(20 * 99 + 10)
        let nack = RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 7, lost: [62, 63, 20, 10, 65_535])
        var resent: [[UInt8]] = []
        let result = buffer.answer(nack, now: now) { resent.append(Array($0)) }
        #expect(result.requested == 5)
        #expect(result.resent == 3, "10 is too old, 65535 was overwritten")
        #expect(Set(resent) == Set([Self.packet(62), Self.packet(63), Self.packet(20)]))
        #expect(buffer.stats.requested == 5 && buffer.stats.resent == 3 && buffer.stats.missing == 2)
        #expect(buffer.stats.nacksReceived == 1 && buffer.stats.stored == 100)
    }

    @Test("the age bound: a packet older than maxAge is not resent even if the ring still holds it")
    func ageBound() {
        let buffer = RTPRetransmissionBuffer(capacity: 128, maxAge: .seconds(1))
        let start = ContinuousClock.now
        buffer.store(sequenceNumber: 10, packet: Self.packet(10), now: start)
        #expect(buffer.withPacket(sequenceNumber: 10, now: start + .milliseconds(999)) { _ in })
        #expect(!buffer.withPacket(sequenceNumber: 10, now: start + .milliseconds(1001)) { _ in })
        #expect(!buffer.withPacket(sequenceNumber: 11, now: start) { _ in }, "never sent")
        #expect(!buffer.withPacket(sequenceNumber: 10 &+ 128, now: start) { _ in }, "same slot, other sequence number")
        #expect(buffer.capacity == 128)
    }

    @Test("oversized packets are not stored and do not leave a stale packet answering for them")
    func oversized() {
        let buffer = RTPRetransmissionBuffer(capacity: 4, maxPacketBytes: 100)
        let now = ContinuousClock.now
        buffer.store(sequenceNumber: 1, packet: Self.packet(1), now: now)
        buffer.store(sequenceNumber: 5, packet: [UInt8](repeating: 0, count: 200), now: now)
        #expect(buffer.stats.tooLarge == 1)
        #expect(!buffer.withPacket(sequenceNumber: 5, now: now) { _ in })
        #expect(!buffer.withPacket(sequenceNumber: 1, now: now) { _ in })
    }

    @Test("NACK generator: a gap is asked for once per retry interval, at most maxRetries times")
    func generatorRetries() {
        var generator = RTPNACKGenerator()
        let t0 = ContinuousClock.now
        let rtt = Duration.milliseconds(20)
        generator.received(sequence: 100, now: t0, playoutDelay: .milliseconds(500))
        generator.received(sequence: 103, now: t0, playoutDelay: .milliseconds(500))
        #expect(generator.pendingCount == 2)
        var due = generator.due(now: t0, rtt: rtt)
        #expect(due == [101, 102])
        due = generator.due(now: t0 + .milliseconds(10), rtt: rtt)
        #expect(due.isEmpty, "rate-limited")
        due = generator.due(now: t0 + .milliseconds(40), rtt: rtt)
        #expect(due == [101, 102])
        let recovered = generator.received(sequence: 101, now: t0 + .milliseconds(50), playoutDelay: .zero)
        #expect(recovered, "a retransmission")
        due = generator.due(now: t0 + .milliseconds(80), rtt: rtt)
        #expect(due == [102])
        due = generator.due(now: t0 + .milliseconds(120), rtt: rtt)
        #expect(due.isEmpty, "3 tries, then no more")
        #expect(generator.pendingCount == 1, "still waited for until its playout time")
        due = generator.due(now: t0 + .milliseconds(501), rtt: rtt)
        #expect(due.isEmpty)
        #expect(generator.pendingCount == 0)
        let stats = generator.stats
        #expect(stats.missingDetected == 2 && stats.requests == 5 && stats.recovered == 1 && stats.abandoned == 1)
    }

    @Test("NACK generator: nothing is asked that could not come back before its playout time")
    func generatorDeadline() {
        var generator = RTPNACKGenerator()
        let t0 = ContinuousClock.now
        generator.received(sequence: 65_535, now: t0, playoutDelay: .milliseconds(60))
        generator.received(sequence: 1, now: t0, playoutDelay: .milliseconds(60))  // 0 lost, across the wrap
        var due = generator.due(now: t0, rtt: .milliseconds(100))
        #expect(due.isEmpty, "RTT 100 ms > 60 ms of buffer")
        due = generator.due(now: t0, rtt: .milliseconds(30))
        #expect(due == [0])
        var asked = generator.received(sequence: 2, now: t0, playoutDelay: .zero)
        #expect(!asked)
        asked = generator.received(sequence: 2, now: t0, playoutDelay: .zero)
        #expect(!asked, "a duplicate is not a recovery")
    }

    @Test("NACK generator: a jump larger than maxTracked is not loss; reset forgets the stream")
    func generatorJump() {
        var generator = RTPNACKGenerator()
        let t0 = ContinuousClock.now
        generator.received(sequence: 10, now: t0, playoutDelay: .seconds(1))
        generator.received(sequence: 12, now: t0, playoutDelay: .seconds(1))
        generator.received(sequence: 2_000, now: t0, playoutDelay: .seconds(1))
        #expect(generator.pendingCount == 0 && generator.stats.gapsIgnored == 1)
        generator.reset()
        generator.received(sequence: 5, now: t0, playoutDelay: .seconds(1))
        #expect(generator.pendingCount == 0)
        let due = generator.due(now: t0)
        #expect(due.isEmpty)
    }

    @Test("abs-capture-time: 8- and 16-byte values round-trip; other lengths are ignored")
    func absCaptureTime() throws {
        let short = RTPAbsoluteCaptureTime(captureTime: 0xE5F0_1234_8000_0000)
        #expect(short.value == [0xE5, 0xF0, 0x12, 0x34, 0x80, 0, 0, 0])
        #expect(RTPAbsoluteCaptureTime(short.value) == short)
        let long = RTPAbsoluteCaptureTime(captureTime: 1, estimatedClockOffset: -(1 << 31))  // -0.5 s in Q32.32
        #expect(long.value.count == 16)
        #expect(RTPAbsoluteCaptureTime(long.value) == long)
        #expect(RTPAbsoluteCaptureTime([1, 2, 3]) == nil)
        // Written in an RTP header with other one-byte elements, read back from the view.
        let header = RTPHeader(
            payloadType: 111, sequenceNumber: 1, timestamp: 2, ssrc: 3,
            extensions: [.audioLevel(id: 2, voiceActivity: true, level: 30), long.headerExtension(id: 3)])
        let view = try RTPPacketView(RTPPacket(header: header, payload: [1]).serialize())
        #expect(view.extensionForm == .oneByte)
        #expect(view.extensionValue(id: 3).flatMap(RTPAbsoluteCaptureTime.init) == long)
    }
}

@Suite("RTCP feedback messages (RFC 4585, RFC 5104)")
struct RTCPFeedbackTests {
    @Test("NACK, PLI and FIR in a compound packet with an RR and SDES, byte-exact both ways")
    func compound() throws {
        let nack = RTCPGenericNACK(senderSSRC: 0x1111, mediaSSRC: 0x2222, entries: [.init(packetID: 0xFFFE, lostBitmask: 0x8001)])
        let packets: [RTCPPacket] = [
            .receiverReport(RTCPReceiverReport(ssrc: 0x1111)),
            .sourceDescription(RTCPSourceDescription(ssrc: 0x1111, cname: "c")),
            .genericNACK(nack),
            .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 0x1111, mediaSSRC: 0x3333)),
            .fullIntraRequest(RTCPFullIntraRequest(senderSSRC: 0x1111, entries: [.init(ssrc: 0x3333, sequenceNumber: 9)])),
        ]
        let bytes = try RTCPCompound.serialize(packets)
        // The NACK: V=2 FMT=1, PT 205, length 3, SSRCs, PID 0xFFFE, BLP 0x8001 (RFC 4585 §6.2.1).
        let nackBytes = Array(bytes[20..<36])
        #expect(nackBytes == [0x81, 205, 0, 3, 0, 0, 0x11, 0x11, 0, 0, 0x22, 0x22, 0xFF, 0xFE, 0x80, 0x01])
        #expect(try RTCPCompound.parse(bytes) == packets)
        #expect(nack.lostSequenceNumbers == [0xFFFE, 0xFFFF, 0x000E])
        // PLI: FMT 1, PT 206, length 2, no FCI (§6.3.1). FIR: FMT 4, length 4, media SSRC 0 (RFC 5104 §4.3.1).
        #expect(Array(bytes[36..<40]) == [0x81, 206, 0, 2])
        #expect(Array(bytes[48..<52]) == [0x84, 206, 0, 4])
        #expect(Array(bytes[56..<68]) == [0, 0, 0, 0, 0, 0, 0x33, 0x33, 9, 0, 0, 0])
    }

    @Test("random lost sets pack into PID+BLP and unpack to the same set")
    func nackRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let base = UInt16.random(in: 0...UInt16.max, using: &generator)
            let lost = (0..<Int.random(in: 1...40, using: &generator)).map { _ in base &+ UInt16.random(in: 0..<100, using: &generator) }
            let nack = RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lost: lost)
            #expect(Set(nack.lostSequenceNumbers) == Set(lost))
            #expect(nack.entries.count <= Set(lost).count)
            let parsed = try RTCPCompound.parse(try RTCPCompound.serialize([.genericNACK(nack)]))
            #expect(parsed == [.genericNACK(nack)])
        }
    }

    @Test("malformed feedback is rejected with the packet type", arguments: [
        // NACK without its media SSRC (RFC 4585 §6.1: 8 bytes of SSRCs before the FCI).
        ([0x81, 205, 0, 1, 0, 0, 0, 1] as [UInt8], "RTPFB"),
        // PLI without its media SSRC.
        ([0x81, 206, 0, 1, 0, 0, 0, 1], "PSFB"),
        // FIR with half an FCI entry (RFC 5104 §4.3.1.1: entries are 8 bytes).
        ([0x84, 206, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5], "PSFB"),
    ])
    func malformed(bytes: [UInt8], type: String) {
        do {
            _ = try RTCPCompound.parse(bytes)
            Issue.record("parsed")
        } catch {
            guard case .bodyTooShort = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(error.description.contains(type))
        }
    }
}
