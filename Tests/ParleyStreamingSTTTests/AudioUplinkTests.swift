// SPDX-License-Identifier: Apache-2.0

import ParleyCore
@testable import ParleyStreamingSTT
import Testing

/// The uplink on its own: message sizes, flush padding, control message order, overflow, and
/// the provider-clock → media-time mapping across gaps and padding.
struct AudioUplinkTests {
    static let format = AudioFormat(sampleRate: 16_000, channels: 1, frameDurationMs: 20)
    let pool = AudioBufferPool(bufferCapacity: 320, preallocate: 0)

    /// A 20 ms frame at `timestamp` whose samples are `first`, `first + 1`, …
    func frame(_ timestamp: Nanos, first: Int16 = 1) -> AudioFrame {
        let buffer = pool.acquire()
        for i in 0..<320 { buffer.storage[i] = first &+ Int16(i) }
        return AudioFrame(buffer: buffer, format: Self.format, timestamp: timestamp, sequence: 0)
    }

    func samples(_ item: AudioUplink.Outbound?) -> [Int16]? {
        guard case .audio(let bytes)? = item else { return nil }
        return stride(from: 0, to: bytes.count, by: 2).map { Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8) }
    }

    func uplink(minimum: Int, maximum: Int = 16_000, pads: Bool, seconds: Int = 10) -> AudioUplink {
        AudioUplink(chunking: AudioChunking(minimumSamples: minimum, maximumSamples: maximum, padsShortFlushes: pads),
                    sampleRate: 16_000, bufferSeconds: seconds, clock: VirtualClock())
    }

    @Test func audioGoesOutOnceAMessageIsFullAsLittleEndianPCM() async throws {
        let u = uplink(minimum: 800, pads: true)
        #expect(u.write(frame(0, first: -3)))
        #expect(u.write(frame(20_000_000, first: 1_000)))
        #expect(u.write(frame(40_000_000, first: 2_000)))
        let sent = try #require(samples(await u.next()))
        #expect(sent.count == 960)
        #expect(Array(sent.prefix(4)) == [-3, -2, -1, 0])
        #expect(sent[320] == 1_000 && sent[959] == 2_000 + 319)
    }

    @Test func aFlushSendsTheRestPaddedThenTheMessage() async throws {
        let u = uplink(minimum: 800, pads: true)
        #expect(u.write(frame(0)))
        #expect(u.send(#"{"type":"ForceEndpoint"}"#, flushingAudio: true))
        let padded = try #require(samples(await u.next()))
        #expect(padded.count == 800)
        #expect(padded[319] == 320 && padded[320...].allSatisfy { $0 == 0 })
        #expect(await u.next() == .text(#"{"type":"ForceEndpoint"}"#))
    }

    @Test func withoutPaddingAShortFlushGoesAsItIs() async throws {
        let u = uplink(minimum: 800, pads: false)
        #expect(u.write(frame(0)))
        u.send("F", flushingAudio: true)
        #expect(samples(await u.next())?.count == 320)
        #expect(await u.next() == .text("F"))
    }

    @Test func aKeepAliveDoesNotWaitForAudio() async throws {
        let u = uplink(minimum: 800, pads: true)
        #expect(u.write(frame(0)))
        u.send("K", flushingAudio: false)
        #expect(await u.next() == .text("K"))
        u.finish()
        #expect(await u.next() == nil)
    }

    @Test func nothingIsTakenAfterEndOfStream() async throws {
        let u = uplink(minimum: 320, pads: false)
        #expect(u.write(frame(0)))
        #expect(u.close(with: "C"))
        #expect(!u.write(frame(20_000_000)))
        #expect(!u.send("K", flushingAudio: false))
        #expect(samples(await u.next())?.count == 320)
        #expect(await u.next() == .text("C"))
    }

    @Test func aWaitingSenderIsWokenByAudio() async throws {
        let u = uplink(minimum: 320, pads: false)
        async let next = u.next()
        try await Task.sleep(for: .milliseconds(50))
        #expect(u.write(frame(0)))
        #expect(samples(await next)?.count == 320)
    }

    /// Provider times map to media times across a gap in the frames and across padding.
    @Test func providerTimesMapToMediaTimes() async throws {
        let u = uplink(minimum: 800, pads: true)
        let start: Nanos = 7_000_000_000
        #expect(u.write(frame(start)))
        u.send("F", flushingAudio: true)        // 320 samples + 480 padding
        _ = await u.next()
        _ = await u.next()
        // 3 s later on the media timeline, right after the padding on the provider's clock.
        let later = start + 3_000_000_000
        for i in 0..<3 { #expect(u.write(frame(later + Nanos(i) * 20_000_000))) }
        #expect(samples(await u.next())?.count == 960)
        #expect(u.media(atProviderSeconds: 0) == start)
        #expect(u.media(atProviderSeconds: 0.01) == start + 10_000_000)
        #expect(u.media(atProviderSeconds: 0.05) == later)              // 800 samples: after the padding
        #expect(u.media(atProviderSeconds: 0.08) == later + 30_000_000)
        #expect(u.sentMediaEnd == later + 60_000_000)
    }

    /// A full ring drops the oldest unsent audio, and the times stay right.
    @Test func overflowDropsTheOldestAndKeepsTimes() async throws {
        let u = uplink(minimum: 320, maximum: 320, pads: false, seconds: 0)  // the ring: 2 × 320 samples
        for i in 0..<3 { #expect(u.write(frame(Nanos(i) * 20_000_000, first: Int16(i * 1_000)))) }
        #expect(u.droppedSamples == 320)
        #expect(samples(await u.next())?.first == 1_000)
        #expect(u.media(atProviderSeconds: 0) == 20_000_000)
    }
}
