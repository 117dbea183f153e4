// SPDX-License-Identifier: Apache-2.0

/// A stand-in codec for tests and the evaluation (the real Opus decoder lives in `Opus/`).
///
/// Payloads it accepts (`makePayload`): byte 0 is `0xA5` (or `0xA7` when the packet carries
/// FEC for the frame before it), bytes 1–2 the sequence number and 3–6 the timestamp, big
/// endian, then filler. A payload of 1–2 bytes is a DTX packet. Anything else is garbage and
/// `decode` throws.
///
/// Every output frame carries a known pattern, so a test can read back what was played:
/// sample 0 is the `Pattern` tag, sample 1 the sequence number (bit pattern), and the rest
/// repeat sample 1. It counts its calls and allocates nothing.
public struct SyntheticDecoder: JitterBufferDecoder, Sendable {
    public enum Pattern: Int16, Sendable {
        case decoded = 1, fec = 2, concealed = 3, dtx = 4
    }

    public struct InvalidPayload: Error, Sendable {}

    public static let magic: UInt8 = 0xA5
    public static let magicWithFEC: UInt8 = 0xA7
    public static let headerSize = 7

    public let frameSamples: Int
    public let channels: Int
    public private(set) var decodeCalls = 0
    public private(set) var fecCalls = 0
    public private(set) var fecRecovered = 0
    public private(set) var concealCalls = 0
    public private(set) var invalidPackets = 0
    public private(set) var resets = 0
    /// Sequence number of the last packet decoded.
    public private(set) var lastSequenceNumber: UInt16?

    public init(frameSamples: Int = 960, channels: Int = 1) {
        self.frameSamples = frameSamples
        self.channels = channels
    }

    /// Writes a payload of `size` bytes (at least `headerSize` unless it is DTX, ≤ 2) into
    /// `buffer` and returns its length.
    @discardableResult
    public static func writePayload(sequenceNumber: UInt16, timestamp: UInt32, size: Int, fec: Bool,
                                    into buffer: UnsafeMutableRawBufferPointer) -> Int {
        if size <= 2 {
            let n = min(max(size, 1), buffer.count)
            for i in 0..<n { buffer[i] = 0xD7 }
            return n
        }
        let n = min(max(size, headerSize), buffer.count)
        guard n >= headerSize else { return 0 }
        buffer[0] = fec ? magicWithFEC : magic
        buffer[1] = UInt8(sequenceNumber >> 8)
        buffer[2] = UInt8(truncatingIfNeeded: sequenceNumber)
        buffer[3] = UInt8(timestamp >> 24)
        buffer[4] = UInt8(truncatingIfNeeded: timestamp >> 16)
        buffer[5] = UInt8(truncatingIfNeeded: timestamp >> 8)
        buffer[6] = UInt8(truncatingIfNeeded: timestamp)
        var i = headerSize
        while i < n { buffer[i] = UInt8(truncatingIfNeeded: i); i += 1 }
        return n
    }

    /// A payload as an array (convenient in tests).
    public static func makePayload(sequenceNumber: UInt16, timestamp: UInt32, size: Int = 40, fec: Bool = false) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(size, size <= 2 ? 1 : headerSize))
        let n = bytes.withUnsafeMutableBytes {
            writePayload(sequenceNumber: sequenceNumber, timestamp: timestamp, size: size, fec: fec, into: $0)
        }
        return Array(bytes[0..<n])
    }

    /// The sequence number a payload claims, and whether it carries FEC (nil for DTX or garbage).
    public static func parse(_ payload: UnsafeRawBufferPointer) -> (sequenceNumber: UInt16, fec: Bool)? {
        guard payload.count >= headerSize, payload[0] == magic || payload[0] == magicWithFEC else { return nil }
        return (UInt16(payload[1]) << 8 | UInt16(payload[2]), payload[0] == magicWithFEC)
    }

    /// Reads the tag and sequence number back from a produced frame.
    public static func read(_ pcm: UnsafeBufferPointer<Int16>) -> (pattern: Pattern?, sequenceNumber: UInt16) {
        (pcm.count > 0 ? Pattern(rawValue: pcm[0]) : nil, pcm.count > 1 ? UInt16(bitPattern: pcm[1]) : 0)
    }

    private func fill(_ pcm: UnsafeMutableBufferPointer<Int16>, _ pattern: Pattern, _ seq: UInt16, samples: Int) {
        let n = min(samples * channels, pcm.count)
        guard n > 0 else { return }
        pcm.baseAddress!.update(repeating: Int16(bitPattern: seq), count: n)
        pcm[0] = pattern.rawValue
    }

    public mutating func decode(_ payload: UnsafeRawBufferPointer, into pcm: UnsafeMutableBufferPointer<Int16>) throws -> Int {
        decodeCalls += 1
        if payload.count >= 1 && payload.count <= 2 {
            fill(pcm, .dtx, 0, samples: frameSamples)
            return frameSamples
        }
        guard let (seq, _) = Self.parse(payload) else {
            invalidPackets += 1
            throw InvalidPayload()
        }
        lastSequenceNumber = seq
        fill(pcm, .decoded, seq, samples: frameSamples)
        return frameSamples
    }

    public mutating func decodeFEC(from next: UnsafeRawBufferPointer, frameSize: Int,
                                   into pcm: UnsafeMutableBufferPointer<Int16>) throws -> Int {
        fecCalls += 1
        guard next.count > 2 else { return 0 }
        guard let (seq, fec) = Self.parse(next) else {
            invalidPackets += 1
            throw InvalidPayload()
        }
        guard fec else { return 0 }
        fecRecovered += 1
        let n = min(frameSize, frameSamples)
        fill(pcm, .fec, seq &- 1, samples: n)
        return n
    }

    public mutating func conceal(frameSize: Int, into pcm: UnsafeMutableBufferPointer<Int16>) -> Int {
        concealCalls += 1
        fill(pcm, .concealed, 0, samples: frameSize)
        return frameSize
    }

    public mutating func reset() { resets += 1 }
}
