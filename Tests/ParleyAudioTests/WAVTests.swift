// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing

import ParleyAudio

// MARK: - Helpers

/// Builds WAV byte streams by hand so each test states exactly which header
/// field is broken.
private enum WAVBytes {
    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] {
        [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
    }

    /// A chunk with a correct size field and RIFF padding.
    static func chunk(_ id: String, _ body: [UInt8], pad: Bool = true, size: UInt32? = nil) -> [UInt8] {
        var out = Array(id.utf8) + le32(size ?? UInt32(body.count)) + body
        if pad && body.count % 2 == 1 { out.append(0) }
        return out
    }

    static func riff(_ chunks: [UInt8]..., form: String = "WAVE", riffSize: UInt32? = nil) -> [UInt8] {
        let body = chunks.flatMap { $0 }
        return Array("RIFF".utf8) + le32(riffSize ?? UInt32(4 + body.count)) + Array(form.utf8) + body
    }

    static func fmtBody(tag: UInt16 = 1, channels: UInt16 = 1, rate: UInt32 = 8000, bits: UInt16 = 16) -> [UInt8] {
        let block = UInt16(truncatingIfNeeded: Int(channels) * Int(bits) / 8)
        return le16(tag) + le16(channels) + le32(rate) + le32(rate &* UInt32(block)) + le16(block) + le16(bits)
    }

    static func fmt(tag: UInt16 = 1, channels: UInt16 = 1, rate: UInt32 = 8000, bits: UInt16 = 16) -> [UInt8] {
        chunk("fmt ", fmtBody(tag: tag, channels: channels, rate: rate, bits: bits))
    }

    /// WAVE_FORMAT_EXTENSIBLE with the standard KSDATAFORMAT GUID tail.
    static func extensibleFmt(
        subformat: UInt16, channels: UInt16 = 1, rate: UInt32 = 8000, bits: UInt16, validBits: UInt16? = nil,
        guidTail: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
    ) -> [UInt8] {
        let body = fmtBody(tag: 0xFFFE, channels: channels, rate: rate, bits: bits)
            + le16(22) + le16(validBits ?? bits) + le32(0) + le16(subformat) + guidTail
        return chunk("fmt ", body)
    }

    static func pcm16(_ samples: [Int16]) -> [UInt8] {
        samples.flatMap { le16(UInt16(bitPattern: $0)) }
    }

    static func hex(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            out.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return out
    }
}

/// Deterministic PRNG so fuzz failures reproduce.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("parley-wav-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The reason decode fails with, or nil if it succeeds.
private func failureReason(_ bytes: [UInt8], path: String = "t.wav") -> String? {
    do {
        _ = try WAVReader.decode(bytes, path: path)
        return nil
    } catch {
        #expect(error.path == path)
        return error.reason
    }
}

/// A known test signal: `amplitude * sin(2π f t)`, optionally phase-inverted.
private func sine(count: Int, rate: Double = 8000, frequency: Double = 440, amplitude: Double = 12000,
                  invert: Bool = false) -> [Int16] {
    (0..<count).map { i in
        let value = (amplitude * sin(2 * .pi * frequency * Double(i) / rate)).rounded()
        return Int16(invert ? -value : value)
    }
}

private func interleave(_ left: [Int16], _ right: [Int16]) -> [Int16] {
    zip(left, right).flatMap { [$0, $1] }
}

private enum Sox {
    static let path: String? = {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return dirs.map { "\($0)/sox" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "sox \(arguments.joined(separator: " ")) failed")
    }
}

/// A valid file exercising the interesting paths (LIST before fmt, odd-size
/// chunk with padding, fact chunk, trailing chunk after data) used as the
/// fuzz seed.
private let richFile: [UInt8] = WAVBytes.riff(
    WAVBytes.chunk("LIST", Array("INFOISFT\u{5}\0\0\0Parl".utf8) + [0x65]),
    WAVBytes.fmt(channels: 2, rate: 16000),
    WAVBytes.chunk("fact", WAVBytes.le32(8)),
    WAVBytes.chunk("data", WAVBytes.pcm16(interleave(sine(count: 8), sine(count: 8, invert: true)))),
    WAVBytes.chunk("junk", [1, 2, 3])
)

// MARK: - Writer

@Suite("WAVWriter")
struct WAVWriterTests {
    @Test("round trip through writer and reader", arguments: [(8000, 1), (16000, 2), (48000, 6), (384_000, 32)])
    func roundTrip(rate: Int, channels: Int) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("rt.wav").path

        let frames = 1000
        let samples = (0..<frames * channels).map { Int16(truncatingIfNeeded: $0 &* 7919 &- 20000) }
        let writer = try WAVWriter(path: path, sampleRate: rate, channels: channels)
        // Mix both write overloads and uneven (but whole-frame) chunk sizes.
        let split = 337 * channels
        try writer.write(Array(samples[..<split]))
        try samples[split...].withUnsafeBufferPointer { try writer.write($0) }
        try writer.write([Int16]())
        #expect(writer.framesWritten == frames)
        try writer.close()

        let file = try WAVReader.read(path: path)
        #expect(file.format == WAVFormat(sampleRate: rate, channels: channels, encoding: .pcm16))
        #expect(file.samples == samples)
        #expect(file.frameCount == frames)
        #expect(abs(file.duration - Double(frames) / Double(rate)) < 1e-12)
    }

    @Test("header is the canonical 44 bytes with patched sizes")
    func canonicalHeader() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("h.wav").path
        try WAVWriter.write([1, -1, 2, -2, 3, -3], to: path, sampleRate: 22050, channels: 2)

        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let expected = Array("RIFF".utf8) + WAVBytes.le32(36 + 12) + Array("WAVE".utf8)
            + Array("fmt ".utf8) + WAVBytes.le32(16) + WAVBytes.le16(1) + WAVBytes.le16(2)
            + WAVBytes.le32(22050) + WAVBytes.le32(22050 * 4) + WAVBytes.le16(4) + WAVBytes.le16(16)
            + Array("data".utf8) + WAVBytes.le32(12) + WAVBytes.pcm16([1, -1, 2, -2, 3, -3])
        #expect(bytes == expected)
        #expect(WAVWriter.headerSize == 44)
    }

    @Test("close is idempotent and deinit patches sizes")
    func closeAndDeinit() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let closed = dir.appendingPathComponent("closed.wav").path
        let writer = try WAVWriter(path: closed, sampleRate: 8000, channels: 1)
        try writer.write([10, 20, 30])
        try writer.close()
        try writer.close()
        #expect(writer.isClosed)
        #expect(throws: WAVError(path: closed, reason: "writer is closed")) { try writer.write([1]) }

        let dropped = dir.appendingPathComponent("dropped.wav").path
        do {
            let scoped = try WAVWriter(path: dropped, sampleRate: 8000, channels: 1)
            try scoped.write([4, 5, 6, 7])
        }  // deinit closes
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dropped)))
        #expect(Array(bytes[4..<8]) == WAVBytes.le32(36 + 8))
        #expect(Array(bytes[40..<44]) == WAVBytes.le32(8))
        #expect(try WAVReader.read(path: dropped).samples == [4, 5, 6, 7])
    }

    @Test("a file still being written (unpatched sizes) is readable")
    func unpatchedFileIsRecoverable() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("live.wav").path
        let writer = try WAVWriter(path: path, sampleRate: 16000, channels: 2)
        try writer.write([1, 2, 3, 4, 5, 6])
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(Array(bytes[40..<44]) == [0xFF, 0xFF, 0xFF, 0xFF])
        let live = try WAVReader.read(path: path)
        #expect(live.samples == [1, 2, 3, 4, 5, 6])
        #expect(live.frameCount == 3)
        try writer.close()
    }

    @Test("writer errors carry precise reasons")
    func writerErrors() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("no/such/dir/x.wav").path

        #expect(throws: WAVError(path: missing, reason: "cannot create: No such file or directory (errno 2)")) {
            try WAVWriter(path: missing, sampleRate: 8000, channels: 1)
        }
        #expect(throws: WAVError(path: dir.path, reason: "cannot create: Is a directory (errno 21)")) {
            try WAVWriter(path: dir.path, sampleRate: 8000, channels: 1)
        }
        let ok = dir.appendingPathComponent("ok.wav").path
        #expect(throws: WAVError(path: ok, reason: "sample rate 0")) {
            try WAVWriter(path: ok, sampleRate: 0, channels: 1)
        }
        #expect(throws: WAVError(path: ok, reason: "sample rate 400000, must be 1...384000")) {
            try WAVWriter(path: ok, sampleRate: 400_000, channels: 1)
        }
        #expect(throws: WAVError(path: ok, reason: "0 channels")) {
            try WAVWriter(path: ok, sampleRate: 8000, channels: 0)
        }
        #expect(throws: WAVError(path: ok, reason: "-1 channels, must be 1...32")) {
            try WAVWriter(path: ok, sampleRate: 8000, channels: -1)
        }
        #expect(throws: WAVError(path: ok, reason: "33 channels, must be 1...32")) {
            try WAVWriter(path: ok, sampleRate: 8000, channels: 33)
        }
        // Validation happens before the file is touched.
        #expect(!FileManager.default.fileExists(atPath: ok))

        let writer = try WAVWriter(path: ok, sampleRate: 8000, channels: 2)
        #expect(throws: WAVError(path: ok, reason: "cannot write 3 samples: not a whole number of 2-channel frames")) {
            try writer.write([1, 2, 3])
        }
        try writer.write([1, 2])
        try writer.close()
        #expect(try WAVReader.read(path: ok).samples == [1, 2])
    }
}

// MARK: - Reader: files made by sox

@Suite("WAVReader with sox-made files", .enabled(if: Sox.path != nil, "sox is not installed"))
struct WAVReaderSoxTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var soxArguments: [String]
        var channels: Int
        var encoding: WAVFormat.Encoding
        /// Largest allowed |decoded - source|; 0 means bit-exact.
        var tolerance: Int
        /// Format tag sox is known to write for this case, checked so the
        /// extensible path is really exercised.
        var formatTag: UInt16
        var testDescription: String { "\(channels)ch " + soxArguments.joined(separator: " ") }
    }

    static let cases: [Case] = [
        Case(soxArguments: ["-e", "unsigned-integer", "-b", "8"], channels: 1, encoding: .pcm8, tolerance: 256, formatTag: 0x0001),
        Case(soxArguments: ["-e", "signed-integer", "-b", "16"], channels: 1, encoding: .pcm16, tolerance: 0, formatTag: 0x0001),
        Case(soxArguments: ["-e", "signed-integer", "-b", "16"], channels: 2, encoding: .pcm16, tolerance: 0, formatTag: 0x0001),
        // sox writes WAVE_FORMAT_EXTENSIBLE for > 16 bits and for > 2 channels.
        Case(soxArguments: ["-e", "signed-integer", "-b", "16"], channels: 4, encoding: .pcm16, tolerance: 0, formatTag: 0xFFFE),
        Case(soxArguments: ["-e", "signed-integer", "-b", "24"], channels: 1, encoding: .pcm24, tolerance: 0, formatTag: 0xFFFE),
        Case(soxArguments: ["-e", "signed-integer", "-b", "24"], channels: 2, encoding: .pcm24, tolerance: 0, formatTag: 0xFFFE),
        Case(soxArguments: ["-e", "signed-integer", "-b", "32"], channels: 1, encoding: .pcm32, tolerance: 0, formatTag: 0xFFFE),
        Case(soxArguments: ["-e", "floating-point", "-b", "32"], channels: 1, encoding: .float32, tolerance: 0, formatTag: 0x0003),
        Case(soxArguments: ["-e", "floating-point", "-b", "32"], channels: 2, encoding: .float32, tolerance: 0, formatTag: 0x0003),
        Case(soxArguments: ["-e", "floating-point", "-b", "64"], channels: 1, encoding: .float64, tolerance: 0, formatTag: 0x0003),
    ]

    @Test("decodes a known sine in every encoding", arguments: cases)
    func decodesSine(_ testCase: Case) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let raw = dir.appendingPathComponent("in.raw")
        let wav = dir.appendingPathComponent("out.wav")

        // Each channel gets a distinguishable signal so channel order is checked.
        let frames = 2000
        let channelSignals = (0..<testCase.channels).map { channel in
            sine(count: frames, frequency: 440 + 110 * Double(channel), amplitude: 30000 - 5000 * Double(channel),
                 invert: channel % 2 == 1)
        }
        let source = (0..<frames).flatMap { frame in channelSignals.map { $0[frame] } }
        try Data(WAVBytes.pcm16(source)).write(to: raw)

        // -D: no dither, so the expected values are exact.
        try Sox.run(["-D", "-t", "raw", "-r", "8000", "-e", "signed-integer", "-b", "16", "-c", "\(testCase.channels)",
                     raw.path] + testCase.soxArguments + [wav.path])

        let bytes = [UInt8](try Data(contentsOf: wav))
        #expect(bytes[20] == UInt8(testCase.formatTag & 0xFF) && bytes[21] == UInt8(testCase.formatTag >> 8))

        let file = try WAVReader.read(path: wav.path)
        #expect(file.format == WAVFormat(sampleRate: 8000, channels: testCase.channels, encoding: testCase.encoding))
        #expect(file.frameCount == frames)
        #expect(file.samples.count == source.count)
        #expect(abs(file.duration - 0.25) < 1e-12)
        let worst = zip(file.samples, source).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(worst <= testCase.tolerance)
    }

    @Test("sox reads what WAVWriter writes")
    func soxReadsWriterOutput() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let wav = dir.appendingPathComponent("ours.wav")
        let raw = dir.appendingPathComponent("back.raw")
        let samples = interleave(sine(count: 1234, rate: 16000), sine(count: 1234, rate: 16000, invert: true))
        try WAVWriter.write(samples, to: wav.path, sampleRate: 16000, channels: 2)
        try Sox.run([wav.path, "-t", "raw", "-e", "signed-integer", "-b", "16", raw.path])
        #expect([UInt8](try Data(contentsOf: raw)) == WAVBytes.pcm16(samples))
    }

    @Test("decodes sox synth output at 44.1 kHz")
    func decodesSynth() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let wav = dir.appendingPathComponent("synth.wav")
        // 1 kHz at 44.1 kHz, half scale, 24-bit extensible.
        try Sox.run(["-D", "-n", "-r", "44100", "-c", "1", "-e", "signed-integer", "-b", "24", wav.path,
                     "synth", "0.5", "sine", "1000", "vol", "0.5"])
        let file = try WAVReader.read(path: wav.path)
        #expect(file.format == WAVFormat(sampleRate: 44100, channels: 1, encoding: .pcm24))
        #expect(file.frameCount == 22050)
        // Peak ≈ 0.5 full scale, and 1000 cycles/s → ≈ 1000 rising zero crossings.
        let peak = file.samples.map { abs(Int($0)) }.max() ?? 0
        #expect(abs(peak - 16384) <= 64)
        let risingCrossings = zip(file.samples, file.samples.dropFirst()).filter { $0 < 0 && $1 >= 0 }.count
        #expect(abs(risingCrossings - 500) <= 1)
    }
}

// MARK: - Reader: structure and conversion

@Suite("WAVReader")
struct WAVReaderTests {
    @Test("embedded sox fixture: 24-bit stereo WAVE_FORMAT_EXTENSIBLE with fact chunk")
    func embeddedExtensibleFixture() throws {
        // `sox -D -t raw -r 48000 -e signed -b 16 -c 2 f.raw -e signed -b 24 f24.wav`
        let bytes = WAVBytes.hex(
            "524946466c00000057415645666d742028000000feff020080bb0000006504000600180016001800030000000100000000001000800000aa00389b71666163740400000006000000646174612400000000000000000000e8030018fc0018fc00e80300ff7f00018000008000ff7f00393000c7cf"
        )
        let file = try WAVReader.decode(bytes, path: "f24.wav")
        #expect(file.format == WAVFormat(sampleRate: 48000, channels: 2, encoding: .pcm24))
        #expect(file.samples == [0, 0, 1000, -1000, -1000, 1000, 32767, -32767, -32768, 32767, 12345, -12345])
        #expect(file.frameCount == 6)
        #expect(file.duration == 6.0 / 48000)
    }

    @Test("embedded sox fixture: float32 with 18-byte fmt and fact chunk")
    func embeddedFloatFixture() throws {
        let bytes = WAVBytes.hex(
            "524946466200000057415645666d74201200000003000100225600008858010004002000000066616374040000000c000000646174613000000000000000000000000000fa3c0000fabc0000fabc0000fa3c00fe7f3f00fe7fbf000080bf00fe7f3f00e4c03e00e4c0be"
        )
        let file = try WAVReader.decode(bytes, path: "f32.wav")
        #expect(file.format == WAVFormat(sampleRate: 22050, channels: 1, encoding: .float32))
        #expect(file.samples == [0, 0, 1000, -1000, -1000, 1000, 32767, -32767, -32768, 32767, 12345, -12345])
    }

    @Test("chunks in any order, unknown chunks skipped, odd chunks padded")
    func chunkOrderAndPadding() throws {
        let samples: [Int16] = [100, -100, 200, -200]
        let data = WAVBytes.chunk("data", WAVBytes.pcm16(samples))
        let variants: [[UInt8]] = [
            // data before fmt
            WAVBytes.riff(data, WAVBytes.fmt(channels: 2)),
            // odd-sized LIST (padded) and fact before fmt
            WAVBytes.riff(WAVBytes.chunk("LIST", [1, 2, 3, 4, 5]), WAVBytes.chunk("fact", WAVBytes.le32(2)),
                          WAVBytes.fmt(channels: 2), data),
            // odd-sized chunk whose writer forgot the pad byte
            WAVBytes.riff(WAVBytes.fmt(channels: 2), WAVBytes.chunk("bext", [9, 9, 9], pad: false), data),
            // trailing garbage and a truncated chunk after data
            WAVBytes.riff(WAVBytes.fmt(channels: 2), data, WAVBytes.chunk("id3 ", [1, 2], size: 5000), [0xAB]),
            // nonsense RIFF size
            WAVBytes.riff(WAVBytes.fmt(channels: 2), data, riffSize: 7),
            // second fmt and data chunks are ignored
            WAVBytes.riff(WAVBytes.fmt(channels: 2), data, WAVBytes.fmt(channels: 1, bits: 8),
                          WAVBytes.chunk("data", [1, 2, 3])),
        ]
        for (index, bytes) in variants.enumerated() {
            let file = try WAVReader.decode(bytes, path: "variant\(index).wav")
            #expect(file.samples == samples, "variant \(index)")
            #expect(file.frameCount == 2, "variant \(index)")
            #expect(file.format.channels == 2, "variant \(index)")
        }
    }

    @Test("streamed data chunk (0xFFFFFFFF or oversized) reads to EOF, dropping a partial frame")
    func streamedDataChunk() throws {
        let samples: [Int16] = [1, 2, 3, 4, 5, 6]
        let fmt = WAVBytes.fmt(channels: 2)
        // Size unknown, cut mid-sample (one stray byte).
        let unknown = WAVBytes.riff(fmt, Array("data".utf8) + [0xFF, 0xFF, 0xFF, 0xFF] + WAVBytes.pcm16(samples) + [0x7F],
                                    riffSize: 0xFFFF_FFFF)
        #expect(try WAVReader.decode(unknown, path: "s.wav").samples == samples)
        // Claimed 900000 bytes, cut mid-frame (left sample only).
        let oversized = WAVBytes.riff(fmt, Array("data".utf8) + WAVBytes.le32(900_000) + WAVBytes.pcm16(samples + [7]))
        let file = try WAVReader.decode(oversized, path: "o.wav")
        #expect(file.samples == samples)
        #expect(file.frameCount == 3)
        // A data chunk whose size is not a whole frame: the remainder is dropped.
        let ragged = WAVBytes.riff(fmt, WAVBytes.chunk("data", WAVBytes.pcm16(samples) + [1, 2, 3]))
        #expect(try WAVReader.decode(ragged, path: "r.wav").samples == samples)
        // Empty data is valid: zero frames.
        let empty = try WAVReader.decode(WAVBytes.riff(fmt, WAVBytes.chunk("data", [])), path: "e.wav")
        #expect(empty.samples.isEmpty && empty.frameCount == 0 && empty.duration == 0)
    }

    @Test("sample conversion rounds and clamps to Int16")
    func conversion() throws {
        func decode(_ fmt: [UInt8], _ payload: [UInt8]) throws -> [Int16] {
            try WAVReader.decode(WAVBytes.riff(fmt, WAVBytes.chunk("data", payload)), path: "c.wav").samples
        }
        // 8-bit unsigned: 128 is silence.
        #expect(try decode(WAVBytes.fmt(bits: 8), [0, 1, 127, 128, 129, 255]) == [-32768, -32512, -256, 0, 256, 32512])
        // 24-bit: round to nearest, top code clamps.
        let pcm24: [Int32] = [0, 127, 128, -128, -129, 0x7F_FFFF, -0x80_0000, 0x12_3456]
        let pcm24Bytes = pcm24.flatMap { v -> [UInt8] in
            let u = UInt32(bitPattern: v)
            return [UInt8(u & 0xFF), UInt8((u >> 8) & 0xFF), UInt8((u >> 16) & 0xFF)]
        }
        #expect(try decode(WAVBytes.fmt(bits: 24), pcm24Bytes) == [0, 0, 1, 0, -1, 32767, -32768, 0x1234])
        // 20-bit samples in 24-bit containers (non-extensible) read as 24-bit.
        #expect(try decode(WAVBytes.fmt(bits: 20), [0x00, 0x00, 0x40]) == [0x4000])
        // 32-bit.
        let pcm32: [Int32] = [.max, .min, 0x0000_8000, 0x0000_7FFF, -0x0000_8001, 0x1234_5678]
        #expect(try decode(WAVBytes.fmt(bits: 32), pcm32.flatMap { WAVBytes.le32(UInt32(bitPattern: $0)) })
                == [32767, -32768, 1, 0, -1, 0x1234])
        // float32: scale 32768, clamp, NaN → 0, ±inf clamp.
        let floats: [Float] = [0, 0.5, -0.5, 1, -1, 2, -2, .nan, .infinity, -.infinity, 1.0 / 65536, -1.0 / 32768]
        #expect(try decode(WAVBytes.fmt(tag: 3, bits: 32), floats.flatMap { WAVBytes.le32($0.bitPattern) })
                == [0, 16384, -16384, 32767, -32768, 32767, -32768, 0, 32767, -32768, 1, -1])
        // float64 through WAVE_FORMAT_EXTENSIBLE with the IEEE_FLOAT subformat.
        let doubles: [Double] = [0.25, -0.25, .nan, 1e300, -1e300, .leastNonzeroMagnitude]
        let doubleBytes = doubles.flatMap { d -> [UInt8] in
            let b = d.bitPattern
            return (0..<8).map { UInt8((b >> (8 * UInt64($0))) & 0xFF) }
        }
        #expect(try decode(WAVBytes.extensibleFmt(subformat: 3, bits: 64), doubleBytes)
                == [8192, -8192, 0, 32767, -32768, 0])
        // Extensible PCM with 20 valid bits in a 24-bit container.
        #expect(try decode(WAVBytes.extensibleFmt(subformat: 1, bits: 24, validBits: 20), [0x00, 0xF0, 0xFF])
                == [-16])
    }

    @Test("limits: 1 Hz, 384 kHz, 32 channels are accepted")
    func limits() throws {
        for (rate, channels) in [(1, 1), (384_000, 32)] as [(UInt32, UInt16)] {
            let bytes = WAVBytes.riff(WAVBytes.fmt(channels: channels, rate: rate),
                                      WAVBytes.chunk("data", [UInt8](repeating: 0, count: Int(channels) * 2 * 3)))
            let file = try WAVReader.decode(bytes, path: "l.wav")
            #expect(file.format.sampleRate == Int(rate) && file.format.channels == Int(channels))
            #expect(file.frameCount == 3)
        }
    }

    struct BadFile: Sendable, CustomTestStringConvertible {
        var bytes: [UInt8]
        var reason: String
        var testDescription: String { reason }
    }

    static let badFiles: [BadFile] = {
        let data = WAVBytes.chunk("data", WAVBytes.pcm16([1, 2]))
        return [
            BadFile(bytes: [], reason: "file is empty"),
            BadFile(bytes: Array("RIFF\u{4}\0".utf8), reason: "file is 6 bytes, too short for a RIFF/WAVE header"),
            BadFile(bytes: Array("ID3\u{3}\0\0\0\0\0\0\0\0\0\0".utf8), reason: "missing RIFF header"),
            BadFile(bytes: Array("OggS".utf8), reason: "missing RIFF header"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.fmt(), data, form: "AVI "),
                    reason: "RIFF form type is 'AVI ', expected 'WAVE'"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.fmt(), data, form: "\u{1}\u{2}\u{3}\u{4}"),
                    reason: "RIFF form type is 0x01020304, expected 'WAVE'"),
            BadFile(bytes: Array("RF64".utf8) + [UInt8](repeating: 0xFF, count: 4) + Array("WAVE".utf8),
                    reason: "RF64 (64-bit RIFF) files are not supported"),
            BadFile(bytes: Array("RIFX".utf8) + [0, 0, 0, 4] + Array("WAVE".utf8),
                    reason: "big-endian RIFX files are not supported"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.chunk("fmt ", Array(WAVBytes.fmtBody().prefix(12))), data),
                    reason: "fmt chunk is 12 bytes, expected at least 16"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.chunk("fmt ", WAVBytes.fmtBody(), size: 5000)),
                    reason: "fmt chunk claims 5000 bytes but only 16 remain"),
            BadFile(bytes: WAVBytes.riff(Array("data".utf8) + WAVBytes.le32(900_000) + [UInt8](repeating: 0, count: 4410)),
                    reason: "data chunk claims 900000 bytes but only 4410 remain, and no fmt chunk precedes it"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.chunk("LIST", [1, 2, 3, 4], size: 0xFFFF_FFF0), WAVBytes.fmt(), data),
                    reason: "'LIST' chunk claims 4294967280 bytes but only 40 remain"),
            BadFile(bytes: WAVBytes.riff(data), reason: "no fmt chunk"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.fmt(), WAVBytes.chunk("LIST", [])), reason: "no data chunk"),
            BadFile(bytes: WAVBytes.riff(), reason: "no fmt chunk"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.fmt(tag: 0x0055), data),
                    reason: "unsupported encoding: format tag 0x0055 (MPEG Layer 3)"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.fmt(tag: 0x0007, bits: 8), data),
                    reason: "unsupported encoding: format tag 0x0007 (mu-law)"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.fmt(tag: 0x1234), data),
                    reason: "unsupported encoding: format tag 0x1234"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.extensibleFmt(subformat: 2, bits: 16), data),
                    reason: "unsupported encoding: extensible subformat 0x0002 (Microsoft ADPCM)"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.extensibleFmt(subformat: 1, bits: 16, guidTail: [UInt8](repeating: 0xEE, count: 14)), data),
                    reason: "unsupported extensible subformat EEEE0001-EEEE-EEEE-EEEE-EEEEEEEEEEEE"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.chunk("fmt ", WAVBytes.fmtBody(tag: 0xFFFE) + [0, 0]), data),
                    reason: "extensible fmt chunk is 18 bytes, expected at least 40"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.fmt(channels: 0), data), reason: "0 channels"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.fmt(channels: 33), data), reason: "33 channels, at most 32 supported"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.fmt(rate: 0), data), reason: "sample rate 0"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.fmt(rate: 0xFFFF_FFFF), data),
                    reason: "sample rate 4294967295, at most 384000 supported"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.fmt(bits: 0), data), reason: "unsupported PCM bit depth 0"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.fmt(bits: 48), data), reason: "unsupported PCM bit depth 48"),
            BadFile(bytes: WAVBytes.riff(WAVBytes.fmt(tag: 3, bits: 16), data), reason: "unsupported float bit depth 16"),
        ]
    }()

    @Test("handcrafted bad files fail with a precise reason", arguments: badFiles)
    func badFile(_ bad: BadFile) {
        #expect(failureReason(bad.bytes) == bad.reason)
    }

    @Test("read(path:) reports filesystem problems")
    func readPathErrors() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing.wav").path
        #expect(throws: WAVError(path: missing, reason: "cannot open: No such file or directory (errno 2)")) {
            try WAVReader.read(path: missing)
        }
        #expect(throws: WAVError(path: dir.path, reason: "is a directory")) {
            try WAVReader.read(path: dir.path)
        }
        let empty = dir.appendingPathComponent("empty.wav")
        try Data().write(to: empty)
        #expect(throws: WAVError(path: empty.path, reason: "file is empty")) {
            try WAVReader.read(path: empty.path)
        }
    }

    @Test("error description is one line in the documented shape")
    func errorDescription() {
        let error = WAVError(path: "/tmp/a.wav", reason: "sample rate 0")
        #expect(error.description == "/tmp/a.wav: not a usable WAV file: sample rate 0")
        let odd = WAVError(path: "/tmp/new\nline.wav", reason: "x\r\ny")
        #expect(odd.description == "/tmp/new\\nline.wav: not a usable WAV file: x\\r\\ny")
        #expect(!odd.description.contains("\n"))
    }
}

// MARK: - Fuzz

@Suite("WAVReader fuzz")
struct WAVReaderFuzzTests {
    /// Decoding must never trap; success must be internally consistent.
    /// Returns whether decoding succeeded.
    @discardableResult
    private func check(_ bytes: [UInt8], _ label: @autoclosure () -> String) -> Bool {
        do {
            let file = try WAVReader.decode(bytes, path: "fuzz.wav")
            let channels = file.format.channels
            #expect(WAVFormat.supportedChannels.contains(channels), "\(label())")
            #expect(WAVFormat.supportedSampleRates.contains(file.format.sampleRate), "\(label())")
            #expect(file.samples.count == file.frameCount * channels, "\(label())")
            #expect(file.frameCount * file.format.bytesPerFrame <= bytes.count, "\(label())")
            return true
        } catch {
            // Typed throws: anything caught here is a WAVError.
            #expect(!error.reason.isEmpty, "\(label())")
            #expect(!error.description.contains("\n"), "\(label())")
            return false
        }
    }

    private static let seeds: [[UInt8]] = [
        richFile,
        WAVBytes.riff(WAVBytes.extensibleFmt(subformat: 1, channels: 2, bits: 24),
                      WAVBytes.chunk("fact", WAVBytes.le32(3)),
                      WAVBytes.chunk("data", [UInt8](repeating: 0x5A, count: 18))),
        WAVBytes.riff(WAVBytes.chunk("fmt ", WAVBytes.fmtBody(tag: 3, bits: 64) + [0, 0]),
                      WAVBytes.chunk("data", [UInt8](repeating: 0x3F, count: 24))),
    ]

    @Test("every truncation length 0...100 (and to full length)")
    func truncations() throws {
        for (seedIndex, seed) in Self.seeds.enumerated() {
            #expect(failureReason(seed) == nil, "seed \(seedIndex) must be valid")
            for length in 0...max(100, seed.count) {
                check(Array(seed.prefix(length)), "seed \(seedIndex) truncated to \(length)")
            }
        }
    }

    @Test("5000 seeded random mutations")
    func mutations() {
        var rng = SplitMix64(state: 0x5041_524C_4559)  // "PARLEY"
        // Values that stress size arithmetic when dropped into length fields.
        var successes = 0
        let nasty: [UInt32] = [0, 1, 2, 3, 7, 8, 15, 16, 17, 39, 40, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFF8, 0xFFFF_FFFE, 0xFFFF_FFFF]
        for iteration in 0..<5000 {
            var bytes = Self.seeds[iteration % Self.seeds.count]
            let edits = Int.random(in: 1...4, using: &rng)
            for _ in 0..<edits {
                switch Int.random(in: 0..<6, using: &rng) {
                case 0, 1:  // flip one bit
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[i] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 2:  // random byte
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = .random(in: 0...255, using: &rng)
                case 3:  // nasty 32-bit value at a random (often header) offset
                    let i = Int.random(in: 0..<min(bytes.count - 3, 64), using: &rng)
                    let v = nasty.randomElement(using: &rng)!
                    for k in 0..<4 { bytes[i + k] = UInt8((v >> (8 * UInt32(k))) & 0xFF) }
                case 4:  // truncate
                    bytes.removeLast(Int.random(in: 0...min(bytes.count - 1, 16), using: &rng))
                default:  // append garbage
                    bytes += (0..<Int.random(in: 1...9, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                }
                if bytes.count < 4 { break }
            }
            if check(bytes, "iteration \(iteration)") { successes += 1 }
        }
        // Guard against a degenerate fuzzer: both outcomes must be exercised.
        #expect(successes > 500 && successes < 4500, "\(successes) of 5000 mutations decoded")
    }

    @Test("pure garbage never traps")
    func garbage() {
        var rng = SplitMix64(state: 42)
        for length in 0..<300 {
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Half the time, give it a valid preamble so the chunk walk runs.
            if length >= 12 && length % 2 == 0 {
                bytes.replaceSubrange(0..<12, with: Array("RIFF".utf8) + [0xFF, 0xFF, 0xFF, 0xFF] + Array("WAVE".utf8))
            }
            check(bytes, "garbage length \(length)")
        }
    }
}
