// SPDX-License-Identifier: Apache-2.0

import Testing
@_spi(Fuzzing) @testable import ParleyRTC

/// Deterministic fuzzing for CI: seeded random bytes and mutations of valid inputs through the
/// same property checks the libFuzzer targets in Fuzz/ run (`FuzzChecks`). A failure traps,
/// naming the property; rerun the seed with the libFuzzer target to minimize it.
@Suite("Fuzz smoke (seeded, ~5000 inputs per parser)")
struct FuzzSmokeTests {
    static let iterations = 5000

    static func run(seed: UInt64, corpus: [[UInt8]], check: ([UInt8]) -> Void) {
        var rng = SplitMix64(seed: seed)
        for corpusInput in corpus { check(corpusInput) }
        for i in 0..<iterations {
            let input: [UInt8]
            if i % 10 == 0 {
                input = (0..<Int.random(in: 0..<96, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                input = mutate(corpus[i % corpus.count], using: &rng)
            }
            check(input)
        }
    }

    @Test("STUN")
    func stun() throws {
        let ice = try STUNMessage(
            type: .bindingRequest, transactionID: RFC5769.transactionID,
            attributes: [.username("a:b"), .priority(1), .iceControlling(tieBreaker: 2), .useCandidate,
                         .errorCode(.roleConflict), .unknownAttributes([.priority]), .realm("r"), .nonce("n"),
                         .mappedAddress(TransportAddress(address: IPAddress("::1")!, port: 9))])
            .encode(integrityKey: .shortTerm(password: "p"), algorithms: [.sha1, .sha256], fingerprint: true)
        FuzzSmokeTests.run(
            seed: 0x5354_554E,
            corpus: [RFC5769.request, RFC5769.ipv4Response, RFC5769.ipv6Response, RFC5769.longTermRequest, ice],
            check: FuzzChecks.stun)
    }

    @Test("RTP")
    func rtp() throws {
        let twoByte = try RTPPacket(
            header: RTPHeader(payloadType: 111, sequenceNumber: 65535, timestamp: 1, ssrc: 2, csrcs: [3, 4],
                              extensions: [RTPHeaderExtension(id: 200, value: [1, 2, 3])]),
            payload: [9, 9, 9], paddingLength: 4).serialize()
        FuzzSmokeTests.run(seed: 0x5254_5000, corpus: [AiortcPackets.rtp, twoByte], check: FuzzChecks.rtp)
    }

    @Test("RTCP")
    func rtcp() throws {
        let feedback = try RTCPCompound.serialize([
            .genericNACK(RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lost: [1, 3, 65535])),
            .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2)),
            .fullIntraRequest(RTCPFullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: 2, sequenceNumber: 1)])),
            .receiverEstimatedMaximumBitrate(RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 1 << 40, ssrcs: [2])),
            .goodbye(RTCPGoodbye(sources: [1], reason: "bye")),
        ])
        FuzzSmokeTests.run(
            seed: 0x5254_4350,
            corpus: [AiortcPackets.senderReportAndSDES, AiortcPackets.receiverReport, AiortcPackets.goodbye, feedback],
            check: FuzzChecks.rtcp)
    }

    @Test("SDP")
    func sdp() {
        let corpus = [
            SDPFixtures.liveKitSubscriberOffer, SDPFixtures.liveKitPublisherAnswer, SDPFixtures.chromeOffer,
            SDPFixtures.aiortcOffer, SDPFixtures.aiortcAnswer,
        ].map { Array($0.utf8) }
        // SDP mutations: byte-level ones mostly break the first lines, so also splice whole
        // lines between descriptions and drop/duplicate lines.
        var rng = SplitMix64(seed: 0x5344_5000)
        let lines = corpus.flatMap { Substring(String(decoding: $0, as: UTF8.self)).split(byte: 0x0A, omittingEmpty: true) }
        for input in corpus { FuzzChecks.sdp(input) }
        for i in 0..<FuzzSmokeTests.iterations {
            var text = String(decoding: corpus[i % corpus.count], as: UTF8.self)
            if i % 2 == 0 {
                var parts = Substring(text).split(byte: 0x0A, omittingEmpty: true).map(String.init)
                let edits = Int.random(in: 1...3, using: &rng)
                for _ in 0..<edits where parts.count > 4 {
                    let at = Int.random(in: 3..<parts.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: parts[at] = String(lines.randomElement(using: &rng)!)
                    case 1: parts.remove(at: at)
                    default: parts.insert(String(lines.randomElement(using: &rng)!), at: at)
                    }
                }
                text = parts.joined(separator: "\n") + "\n"
                FuzzChecks.sdp(Array(text.utf8))
            } else {
                FuzzChecks.sdp(mutate(Array(text.utf8), using: &rng))
            }
        }
    }
}
