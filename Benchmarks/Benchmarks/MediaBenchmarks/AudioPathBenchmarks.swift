// SPDX-License-Identifier: Apache-2.0

import Benchmark
import ParleyAudio
import ParleyCore
import ParleyRTC

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One audio stream's cost per 20 ms / 48 kHz mono frame through the WebRTC media path, on the
/// real ParleyRTC and ParleyAudio types, with the settings a `PeerConnection` uses by default
/// (`OpusEncoderSettings()`: 32 kbit/s, complexity 9, in-band FEC for 10 % loss; the
/// `JitterBufferConfig.opus` buffer; AEAD_AES_128_GCM, the first SRTP profile we offer):
///
/// - "SRTP protect + unprotect": one ~100-byte Opus RTP packet (12-byte header + 88 bytes),
///   each profile, in place in a reused buffer.
/// - "RTP packetize + depacketize": RFC 7587 Opus over RTP as `AudioSender.packetize` builds it
///   (header written into a scratch buffer, header + payload copied into the packet array) and
///   as the receive side takes it apart (`RTPPacketView`, the payload slice handed to the
///   jitter buffer as `ParleyAudio.RTPPacket`).
/// - "Opus encode + decode (PeerConnection settings)": 960 samples through the encoder and the
///   decoder.
/// - "audio path send + receive": PCM → Opus encode → RTP packetize → SRTP protect → SRTP
///   unprotect → RTP parse → jitter buffer insert → pull (Opus decode) for one frame, at the
///   PeerConnection's encoder complexity (9), at 5, and at 0 (libopus's cheapest); and "audio
///   path without the encoder", the same from pre-encoded payloads: what the path costs
///   besides libopus's encoder.
///
/// `AudioSender` and `AudioReceiver` (ParleyWebRTC) do exactly this, but they are internal to
/// ParleyWebRTC and `package` access does not reach a separate package, so the path is composed
/// here from the same calls in the same order, including their per-packet array copies
/// (`Array(header) + payload` on send; `var packet = datagram` before unprotecting in place on
/// receive). Left out: the receiver's RFC 3550 statistics (a few integer operations) and the
/// socket write/read, which are not per-stream CPU.
///
/// Results are per frame (scaling factor 1000, which the benchmark package applies to the
/// malloc counts too); % of one core = p50 µs / 20,000 µs × 100 (budget for the whole path:
/// ≤ 0.5 %, i.e. ≤ 100 µs per frame). SRTP's mallocs are libsrtp2's: Debian builds it on NSS,
/// whose PK11_Encrypt/PK11_Decrypt set up a context per packet; our in-place API adds none.
func audioPathBenchmarks() {
    /// One second of speech-like signal (two tones with a 4 Hz envelope), 50 frames of 960.
    let signal: [Int16] = (0..<48_000).map { i in
        let t = Double(i) / 48_000
        let envelope = 0.5 + 0.5 * sin(2 * .pi * 4 * t)
        return Int16(8000 * envelope * (sin(2 * .pi * 220 * t) + 0.5 * sin(2 * .pi * 1330 * t)))
    }
    let frames: [[Int16]] = (0..<50).map { Array(signal[($0 * 960)..<(($0 + 1) * 960)]) }
    let payloadType: UInt8 = 111

    /// Both ends of one DTLS-SRTP session: keys as the exporter would hand them over; the
    /// client protects with the client key, the server unprotects with it.
    func srtpPair(_ profile: SRTPProtectionProfile) throws -> (sender: SRTPSession, receiver: SRTPSession) {
        let exported = (0..<profile.keyingMaterialLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        guard let keys = SRTPKeyingMaterial(profile: profile, exported: exported) else { fatalError("keying material length") }
        return (try SRTPSession(keyingMaterial: keys, role: .client), try SRTPSession(keyingMaterial: keys, role: .server))
    }

    for profile in [SRTPProtectionProfile.aeadAes128Gcm, .aes128CmHmacSha1_80] {
        Benchmark("SRTP protect + unprotect, 100-byte Opus RTP packet (\(profile))") { benchmark in
            let (sender, receiver) = try srtpPair(profile)
            var buffer = [UInt8](repeating: 0, count: 1500)
            var sequence: UInt16 = 0
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let length = try buffer.withUnsafeMutableBytes { bytes in
                    // A fresh header each time: the sender refuses to protect a sequence number
                    // twice and the receiver's replay window would drop it.
                    let header = RTPHeader(
                        payloadType: payloadType, sequenceNumber: sequence, timestamp: UInt32(sequence) &* 960, ssrc: 0x1234_5678)
                    let headerLength = try header.write(into: bytes)
                    let protected = try sender.protectRTP(bytes, length: headerLength + 88)
                    return try receiver.unprotectRTP(bytes, length: protected)
                }
                sequence &+= 1
                blackHole(length)
            }
        }
    }

    Benchmark("RTP packetize + depacketize (Opus, RFC 7587)") { benchmark in
        // Real Opus payloads, encoded up front: the measured loop is the RTP work only.
        let encoder = try OpusEncoder(sampleRate: 48_000, channels: 1, application: .voip, settings: OpusEncoderSettings())
        var out = [UInt8](repeating: 0, count: 1275)
        let payloads: [[UInt8]] = try frames.map { frame in
            let length = try frame.withUnsafeBufferPointer { pcm in
                try out.withUnsafeMutableBytes { try encoder.encode(pcm, frameSize: 960, into: $0) }
            }
            return Array(out[0..<length])
        }
        var scratch = [UInt8](repeating: 0, count: 1500)
        var sequence: UInt16 = 0
        benchmark.startMeasurement()
        for frame in benchmark.scaledIterations {
            let opus = payloads[frame % payloads.count]
            // Send: AudioSender.packetize.
            let header = RTPHeader(marker: sequence == 0, payloadType: payloadType, sequenceNumber: sequence,
                                   timestamp: UInt32(sequence) &* 960, ssrc: 0x1234_5678)
            let headerLength = try scratch.withUnsafeMutableBytes { try header.write(into: $0) }
            let packet = Array(scratch[0..<headerLength]) + opus[...]
            // Receive: PeerConnection.receiveRTP + AudioReceiver.receive.
            let view = try RTPPacketView(packet)
            let jitterPacket = ParleyAudio.RTPPacket(
                sequenceNumber: view.sequenceNumber, timestamp: view.timestamp, ssrc: view.ssrc, marker: view.marker,
                payloadType: view.payloadType, payload: view.payload, arrivalTime: Nanos(frame) * 20_000_000)
            precondition(view.payloadType == payloadType)
            blackHole(jitterPacket)
            sequence &+= 1
        }
    }

    Benchmark("Opus encode + decode, PeerConnection settings (32 kbit/s complexity 9 FEC)") { benchmark in
        let encoder = try OpusEncoder(sampleRate: 48_000, channels: 1, application: .voip, settings: OpusEncoderSettings())
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

    // The whole path at the PeerConnection's Opus settings, then at lower encoder complexities
    // (the encoder is nearly all of the cost), then without the encoder at all (pre-encoded
    // payloads: what the rest of the path costs).
    for complexity in [9, 5, 0] {
        let settings = OpusEncoderSettings(complexity: complexity)
        let label = complexity == 9 ? "Opus complexity 9 (PeerConnection default)" : "Opus complexity \(complexity)"
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

    Benchmark("audio path send + receive without the encoder (pre-encoded Opus)") { benchmark in
        let path = try AudioPath(srtp: srtpPair(.aeadAes128Gcm), payloadType: payloadType, settings: OpusEncoderSettings())
        let payloads = try frames.map { Array(path.opus[0..<(try path.encode($0))]) }
        for frame in 0..<25 { try path.step(payload: payloads[frame % payloads.count]) }
        benchmark.startMeasurement()
        for frame in benchmark.scaledIterations {
            try path.step(payload: payloads[frame % payloads.count])
        }
    }
}

/// One stream's send and receive halves back to back, as AudioSender.packetize and
/// PeerConnection.receiveRTP → AudioReceiver.receive → AudioReceiver.pull run them.
final class AudioPath {
    let encoder: OpusEncoder
    let sender: SRTPSession
    let receiver: SRTPSession
    let buffer: JitterBuffer<OpusJitterBufferDecoder>
    let payloadType: UInt8
    let ssrc: UInt32 = 0x1234_5678
    var sequenceNumber: UInt16 = 0
    var timestamp: UInt32 = 0
    var now: Nanos = 0
    var scratch = [UInt8](repeating: 0, count: 1500)
    var opus = [UInt8](repeating: 0, count: 1275)
    var talkspurtStart = true

    init(srtp: (sender: SRTPSession, receiver: SRTPSession), payloadType: UInt8, settings: OpusEncoderSettings) throws {
        encoder = try OpusEncoder(sampleRate: 48_000, channels: 1, application: .voip, settings: settings)
        sender = srtp.sender
        receiver = srtp.receiver
        buffer = JitterBuffer(decoder: OpusJitterBufferDecoder(try OpusDecoder(sampleRate: 48_000, channels: 1)), config: .opus)
        self.payloadType = payloadType
    }

    /// One frame of PCM through the encoder, into `opus`; returns the payload length.
    func encode(_ samples: [Int16]) throws -> Int {
        let encoder = self.encoder
        return try samples.withUnsafeBufferPointer { pcm in
            try opus.withUnsafeMutableBytes { try encoder.encode(pcm, frameSize: 960, into: $0) }
        }
    }

    /// The whole path for one frame of PCM.
    func step(_ samples: [Int16]) throws {
        let length = try encode(samples)
        try send(length: length)
    }

    /// The path after the encoder, for a pre-encoded payload.
    func step(payload: [UInt8]) throws {
        payload.withUnsafeBytes { source in opus.withUnsafeMutableBytes { $0.copyMemory(from: source) } }
        try send(length: payload.count)
    }

    /// Send (AudioSender.packetize after the encoder): RTP header, header + payload, SRTP;
    /// then the receive side and the 20 ms pull.
    private func send(length: Int) throws {
        var datagram: [UInt8]? = nil
        if length > 2 {  // ≤ 2 bytes is DTX: nothing is sent
            let header = RTPHeader(marker: talkspurtStart, payloadType: payloadType, sequenceNumber: sequenceNumber,
                                   timestamp: timestamp, ssrc: ssrc)
            let headerLength = try scratch.withUnsafeMutableBytes { try header.write(into: $0) }
            var bytes = Array(scratch[0..<headerLength]) + opus[0..<length]
            try sender.protectRTP(&bytes)
            talkspurtStart = false
            sequenceNumber &+= 1
            datagram = bytes
        }
        timestamp &+= 960

        // Receive (PeerConnection.receiveRTP, AudioReceiver.receive): unprotect a copy of the
        // datagram in place, parse, hand the payload to the jitter buffer.
        if let datagram {
            var packet = datagram
            try receiver.unprotectRTP(&packet)
            let view = try RTPPacketView(packet)
            precondition(view.payloadType == payloadType)
            buffer.insert(
                ParleyAudio.RTPPacket(
                    sequenceNumber: view.sequenceNumber, timestamp: view.timestamp, ssrc: view.ssrc, marker: view.marker,
                    payloadType: view.payloadType, payload: view.payload, arrivalTime: now),
                now: now)
        }
        // The 20 ms playout tick (AudioReceiver.pull): decode or conceal one frame.
        blackHole(buffer.pull(now: now).audio)
        now += 20_000_000
    }
}
