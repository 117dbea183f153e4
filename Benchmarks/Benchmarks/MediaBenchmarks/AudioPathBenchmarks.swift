// SPDX-License-Identifier: Apache-2.0

import Benchmark
import ParleyAudio
import ParleyCore
import ParleyRTC
@_spi(Benchmarks) import ParleyWebRTC

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One audio stream's cost per 20 ms / 48 kHz mono frame through the WebRTC media path, on the
/// real ParleyRTC, ParleyAudio and ParleyWebRTC types, with the settings a `PeerConnection`
/// uses by default (`PeerConnectionConfiguration().opus`: 32 kbit/s, complexity
/// `defaultComplexity`, in-band FEC for 10 % loss; the `JitterBufferConfig.opus` buffer;
/// AEAD_AES_128_GCM, the first SRTP profile we offer):
///
/// - "SRTP protect + unprotect": one ~100-byte Opus RTP packet (12-byte header + 88 bytes),
///   each profile, in place in a reused buffer.
/// - "RTP packetize + depacketize": RFC 7587 Opus over RTP as `AudioSender` builds it (header
///   and payload into its reused `SRTPPacketBuffer`) and as the receive side takes it apart
///   (`RTPPacketView`, the payload slice handed to the jitter buffer as `ParleyAudio.RTPPacket`).
/// - "Opus encode + decode (PeerConnection settings)": 960 samples through the encoder and the
///   decoder.
/// - "audio path send + receive": PCM → `AudioSender.packetize` (Opus encode → RTP → SRTP
///   protect) → SRTP unprotect into a reused `SRTPPacketBuffer` and `RTPPacketView`, as
///   `PeerConnection.receiveRTP` does → `AudioReceiver.receive` (RFC 3550 statistics, jitter
///   buffer insert) → `AudioReceiver.pull` (Opus decode) for one frame, at the default
///   complexity and the others worth comparing; once more with what LiveKit negotiates (the
///   mid and audio-level header extensions, NACK: every packet kept for retransmission); and
///   "audio path without the encoder", the same from
///   pre-encoded payloads (the sender's RTP + SRTP steps composed from the same calls): what
///   the path costs besides libopus's encoder.
///
/// `AudioSender` and `AudioReceiver` are internal to ParleyWebRTC; they are reached through its
/// `Benchmarks` SPI. Left out: the SSRC demultiplexer and the socket write/read, which are not
/// per-stream CPU.
///
/// Results are per frame (scaling factor 1000, which the benchmark package applies to the
/// malloc counts too; SRTP: one packet per sample, scaling factor 1); % of one core = p50 µs /
/// 20,000 µs × 100 (budget for the whole path: ≤ 0.5 %, i.e. ≤ 100 µs per frame). SRTP's
/// mallocs are libsrtp2's: Debian builds it on NSS, whose PK11_Encrypt/PK11_Decrypt set up a
/// context per packet; our in-place API adds none.
func audioPathBenchmarks() {
    /// One second of speech-like signal (two tones with a 4 Hz envelope), 50 frames of 960.
    let signal: [Int16] = (0..<48_000).map { i in
        let t = Double(i) / 48_000
        let envelope = 0.5 + 0.5 * sin(2 * .pi * 4 * t)
        return Int16(8000 * envelope * (sin(2 * .pi * 220 * t) + 0.5 * sin(2 * .pi * 1330 * t)))
    }
    let frames: [[Int16]] = (0..<50).map { Array(signal[($0 * 960)..<(($0 + 1) * 960)]) }
    let payloadType: UInt8 = 111
    let defaultSettings = PeerConnectionConfiguration().opus

    // One packet per sample (scaling factor 1, the sessions kept from sample to sample): a
    // sample of 1000 packets (2–6 ms) is often cut by the scheduler on a busy machine, which
    // makes its p90, the figure checked against Benchmarks/Thresholds/, measure the load.
    for profile in [SRTPProtectionProfile.aeadAes128Gcm, .aes128CmHmacSha1_80] {
        var srtp: SRTPRoundTrip?
        Benchmark("SRTP protect + unprotect, 100-byte Opus RTP packet (\(profile))",
                  configuration: .init(metrics: [.wallClock, .mallocCountTotal, .throughput], scalingFactor: .one,
                                       maxIterations: 1_000_000, thresholds: Tolerance.standard)) { benchmark in
            if srtp == nil { srtp = try SRTPRoundTrip(profile, payloadType: payloadType) }
            let roundTrip = srtp!
            benchmark.startMeasurement()
            blackHole(try roundTrip.next())
        }
    }

    Benchmark("RTP packetize + depacketize (Opus, RFC 7587)") { benchmark in
        // Real Opus payloads, encoded up front: the measured loop is the RTP work only.
        let encoder = try OpusEncoder(sampleRate: 48_000, channels: 1, application: .voip, settings: defaultSettings)
        var out = [UInt8](repeating: 0, count: 1275)
        let payloads: [[UInt8]] = try frames.map { frame in
            let length = try frame.withUnsafeBufferPointer { pcm in
                try out.withUnsafeMutableBytes { try encoder.encode(pcm, frameSize: 960, into: $0) }
            }
            return Array(out[0..<length])
        }
        var packet = SRTPPacketBuffer()
        var sequence: UInt16 = 0
        benchmark.startMeasurement()
        for frame in benchmark.scaledIterations {
            // Send: AudioSender.packetize's RTP step.
            let header = RTPHeader(marker: sequence == 0, payloadType: payloadType, sequenceNumber: sequence,
                                   timestamp: UInt32(sequence) &* 960, ssrc: 0x1234_5678)
            try packet.setRTP(header: header, payload: payloads[frame % payloads.count][...])
            // Receive: PeerConnection.receiveRTP + AudioReceiver.receive.
            let view = try RTPPacketView(packet.bytes)
            let jitterPacket = ParleyAudio.RTPPacket(
                sequenceNumber: view.sequenceNumber, timestamp: view.timestamp, ssrc: view.ssrc, marker: view.marker,
                payloadType: view.payloadType, payload: view.payload, arrivalTime: Nanos(frame) * 20_000_000)
            precondition(view.payloadType == payloadType)
            blackHole(jitterPacket)
            sequence &+= 1
        }
    }

    Benchmark("Opus encode + decode, PeerConnection settings (\(defaultSettings))") { benchmark in
        let encoder = try OpusEncoder(sampleRate: 48_000, channels: 1, application: .voip, settings: defaultSettings)
        let decoder = try OpusDecoder(sampleRate: 48_000, channels: 1)
        var opus = [UInt8](repeating: 0, count: 1275)
        var pcm = [Int16](repeating: 0, count: 960)
        benchmark.startMeasurement()
        for frame in benchmark.scaledIterations {
            let length = try frames[frame % frames.count].withUnsafeBufferPointer { samples in
                try opus.withUnsafeMutableBytes { try encoder.encode(samples, frameSize: 960, into: $0) }
            }
            let decoded = try opus.withUnsafeBytes { bytes in
                try pcm.withUnsafeMutableBufferPointer {
                    try decoder.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<length]), into: $0)
                }
            }
            blackHole(decoded)
        }
    }

    // The whole path at the PeerConnection's Opus settings, then at other encoder complexities
    // (the encoder is most of the cost), with LiveKit's header extensions, then without the
    // encoder at all (pre-encoded payloads: what the rest of the path costs).
    for complexity in [defaultSettings.complexity] + [9, 5, 4, 3, 2, 1, 0].filter({ $0 != defaultSettings.complexity }) {
        var settings = defaultSettings
        settings.complexity = complexity
        let label = complexity == defaultSettings.complexity
            ? "Opus complexity \(complexity) (PeerConnection default)" : "Opus complexity \(complexity)"
        Benchmark("audio path send + receive, \(label)") { benchmark in
            let path = try AudioPath(srtp: srtpPair(.aeadAes128Gcm), payloadType: payloadType, settings: settings)
            // Half a second first, so the jitter buffer is playing out in steady state.
            for frame in 0..<25 { try path.step(frames[frame % frames.count]) }
            benchmark.startMeasurement()
            for frame in benchmark.scaledIterations {
                try path.step(frames[frame % frames.count])
            }
        }
    }

    Benchmark("audio path send + receive, default complexity, mid + audio-level extensions and NACK buffer (LiveKit)") { benchmark in
        let path = try AudioPath(srtp: srtpPair(.aeadAes128Gcm), payloadType: payloadType, settings: defaultSettings)
        path.sender.midExtension = (id: 4, mid: "0")
        path.sender.audioLevelExtensionID = 1
        path.sender.setRetransmission(enabled: true)
        for frame in 0..<25 { try path.step(frames[frame % frames.count]) }
        benchmark.startMeasurement()
        for frame in benchmark.scaledIterations {
            try path.step(frames[frame % frames.count])
        }
    }

    Benchmark("audio path send + receive without the encoder (pre-encoded Opus)") { benchmark in
        let path = try AudioPath(srtp: srtpPair(.aeadAes128Gcm), payloadType: payloadType, settings: defaultSettings)
        let encoder = try OpusEncoder(sampleRate: 48_000, channels: 1, application: .voip, settings: defaultSettings)
        var out = [UInt8](repeating: 0, count: 1275)
        let payloads: [[UInt8]] = try frames.map { frame in
            let length = try frame.withUnsafeBufferPointer { pcm in
                try out.withUnsafeMutableBytes { try encoder.encode(pcm, frameSize: 960, into: $0) }
            }
            return Array(out[0..<length])
        }
        for frame in 0..<25 { try path.step(payload: payloads[frame % payloads.count]) }
        benchmark.startMeasurement()
        for frame in benchmark.scaledIterations {
            try path.step(payload: payloads[frame % payloads.count])
        }
    }
}

/// Both ends of one DTLS-SRTP session: keys as the exporter would hand them over; the client
/// protects with the client key, the server unprotects with it.
func srtpPair(_ profile: SRTPProtectionProfile) throws -> (sender: SRTPSession, receiver: SRTPSession) {
    let exported = (0..<profile.keyingMaterialLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
    guard let keys = SRTPKeyingMaterial(profile: profile, exported: exported) else { fatalError("keying material length") }
    return (try SRTPSession(keyingMaterial: keys, role: .client), try SRTPSession(keyingMaterial: keys, role: .server))
}

/// One ~100-byte Opus RTP packet (12-byte header + 88 bytes) protected by one end and
/// unprotected by the other, in place in a reused buffer.
final class SRTPRoundTrip {
    let sender: SRTPSession
    let receiver: SRTPSession
    let payloadType: UInt8
    var buffer = [UInt8](repeating: 0, count: 1500)
    var sequence: UInt16 = 0

    init(_ profile: SRTPProtectionProfile, payloadType: UInt8) throws {
        (sender, receiver) = try srtpPair(profile)
        self.payloadType = payloadType
    }

    /// Protects and unprotects the next packet; returns the unprotected length.
    func next() throws -> Int {
        // A fresh header each time: the sender refuses to protect a sequence number twice and
        // the receiver's replay window would drop it.
        let header = RTPHeader(payloadType: payloadType, sequenceNumber: sequence, timestamp: UInt32(sequence) &* 960,
                               ssrc: 0x1234_5678)
        sequence &+= 1
        return try buffer.withUnsafeMutableBytes { bytes in
            let headerLength = try header.write(into: bytes)
            let protected = try sender.protectRTP(bytes, length: headerLength + 88)
            return try receiver.unprotectRTP(bytes, length: protected)
        }
    }
}

struct AudioPathError: Error {}

/// One stream's send and receive halves back to back, on a synthetic clock that advances
/// 20 ms per frame: `AudioSender.packetize`, then what `PeerConnection.receiveRTP` does with
/// the datagram (unprotect into its reused buffer, parse), `AudioReceiver.receive`, and the
/// 20 ms `AudioReceiver.pull`.
final class AudioPath {
    let sender: AudioSender
    let receiver: AudioReceiver
    let srtpSend: SRTPSession
    let srtpReceive: SRTPSession
    let payloadType: UInt8
    var receiveBuffer = SRTPPacketBuffer()
    let start: ContinuousClock.Instant
    var frame = 0
    // For `step(payload:)`: the sender's RTP + SRTP steps after its encoder.
    var sendBuffer = SRTPPacketBuffer()
    var sequenceNumber: UInt16 = 0
    var timestamp: UInt32 = 0

    init(srtp: (sender: SRTPSession, receiver: SRTPSession), payloadType: UInt8, settings: OpusEncoderSettings) throws {
        sender = try AudioSender(settings: settings, cname: "benchmark")
        receiver = try AudioReceiver(config: .opus)
        srtpSend = srtp.sender
        srtpReceive = srtp.receiver
        self.payloadType = payloadType
        start = .now
    }

    private var now: ContinuousClock.Instant { start + .milliseconds(20 * frame) }

    /// The whole path for one frame of PCM.
    func step(_ samples: [Int16]) throws {
        let now = self.now
        if let datagram = sender.packetize(samples, payloadType: payloadType, srtp: srtpSend, now: now) {
            try receive(datagram, now: now)
        }
        finishFrame(now: now)
    }

    /// The path after the encoder, for a pre-encoded payload.
    func step(payload: [UInt8]) throws {
        let now = self.now
        let header = RTPHeader(marker: frame == 0, payloadType: payloadType, sequenceNumber: sequenceNumber,
                               timestamp: timestamp, ssrc: 0x1234_5678)
        try sendBuffer.setRTP(header: header, payload: payload[...])
        try sendBuffer.protectRTP(with: srtpSend)
        sequenceNumber &+= 1
        timestamp &+= 960
        try receive(sendBuffer.bytes, now: now)
        finishFrame(now: now)
    }

    /// PeerConnection.receiveRTP (without the SSRC demultiplexer) and AudioReceiver.receive.
    private func receive(_ datagram: [UInt8], now: ContinuousClock.Instant) throws {
        try receiveBuffer.unprotectRTP(datagram, with: srtpReceive)
        let view = try RTPPacketView(receiveBuffer.bytes)
        guard view.payloadType == payloadType else { throw AudioPathError() }
        receiver.receive(view, payloadType: payloadType, now: now)
    }

    /// The 20 ms playout tick: decode or conceal one frame.
    private func finishFrame(now: ContinuousClock.Instant) {
        blackHole(receiver.pull(now: now))
        frame += 1
    }
}
