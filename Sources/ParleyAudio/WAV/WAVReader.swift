// SPDX-License-Identifier: Apache-2.0

/// A decoded WAV file. Samples are interleaved Int16 whatever the file's
/// encoding, because the pipeline (VAD, ASR front-ends, resamplers) works in
/// 16-bit PCM; `format` still records what was on disk.
public struct WAVFile: Sendable {
    public var format: WAVFormat
    /// Interleaved samples, converted to Int16 with rounding and clamping.
    public var samples: [Int16]
    /// Complete frames decoded (a trailing partial frame is dropped).
    public var frameCount: Int
    /// Seconds of audio: `frameCount / sampleRate`.
    public var duration: Double

    public init(format: WAVFormat, samples: [Int16]) {
        self.format = format
        self.samples = samples
        self.frameCount = format.channels > 0 ? samples.count / format.channels : 0
        self.duration = format.sampleRate > 0 ? Double(frameCount) / Double(format.sampleRate) : 0
    }
}

/// Reads RIFF/WAVE files.
///
/// Designed for untrusted input: every length read from the file is checked
/// against the bytes that actually exist before it is used, all size
/// arithmetic is done in a width that cannot overflow, and every failure is a
/// `WAVError` with a precise reason instead of a trap.
public enum WAVReader {
    /// Reads and decodes the file at `path`.
    public static func read(path: String) throws(WAVError) -> WAVFile {
        let bytes = try WAVPOSIX.readAll(path: path)
        return try decode(bytes, path: path)
    }

    /// Decodes WAV bytes; `path` is only used to label errors.
    public static func decode(_ data: [UInt8], path: String) throws(WAVError) -> WAVFile {
        func fail(_ reason: String) -> WAVError { WAVError(path: path, reason: reason) }
        let total = data.count

        // MARK: RIFF header
        guard total > 0 else { throw fail("file is empty") }
        if total < 12 {
            // Distinguish "a WAV cut short" from "not a WAV at all": the first
            // is a truncation the user can fix by re-exporting.
            let riffPrefix = riffMagic.prefix(min(total, 4))
            if data.prefix(riffPrefix.count).elementsEqual(riffPrefix) {
                throw fail("file is \(total) bytes, too short for a RIFF/WAVE header")
            }
            throw fail("missing RIFF header")
        }
        switch (data[0], data[1], data[2], data[3]) {
        case (0x52, 0x49, 0x46, 0x46): break  // "RIFF"
        case (0x52, 0x46, 0x36, 0x34):  // "RF64"
            throw fail("RF64 (64-bit RIFF) files are not supported")
        case (0x52, 0x49, 0x46, 0x58):  // "RIFX"
            throw fail("big-endian RIFX files are not supported")
        default:
            throw fail("missing RIFF header")
        }
        guard data[8] == 0x57, data[9] == 0x41, data[10] == 0x56, data[11] == 0x45 else {  // "WAVE"
            throw fail("RIFF form type is \(describeID(data, at: 8)), expected 'WAVE'")
        }

        // MARK: Chunk walk
        // The RIFF size field is deliberately ignored: streaming writers leave
        // it as 0 or 0xFFFFFFFF and many tools get it wrong, so the real file
        // length is the only trustworthy bound.
        var fmtRange: Range<Int>?
        var dataRange: Range<Int>?
        var offset = 12
        walk: while total - offset >= 8 {
            let id = fourCC(data, at: offset)
            // UInt64 so "size + padding" and comparisons can never overflow,
            // even on 32-bit platforms.
            let size = UInt64(readUInt32(data, at: offset + 4))
            let body = offset + 8
            let remaining = total - body
            let fits = size <= UInt64(remaining)

            switch id {
            case fourCCfmt where fmtRange == nil:
                guard fits else {
                    throw fail("fmt chunk claims \(size) bytes but only \(remaining) remain")
                }
                fmtRange = body..<(body + Int(size))
            case fourCCdata where dataRange == nil:
                if fits {
                    dataRange = body..<(body + Int(size))
                } else {
                    // A data chunk running past EOF is what a streaming writer
                    // leaves when it never patched the size (0xFFFFFFFF) or
                    // the file was cut short. Nothing after it can be located,
                    // so it is the last chunk: take the bytes that exist. That
                    // is only usable if the format is already known.
                    guard fmtRange != nil else {
                        throw fail("data chunk claims \(size) bytes but only \(remaining) remain, and no fmt chunk precedes it")
                    }
                    dataRange = body..<total
                    break walk
                }
            default:
                break
            }

            guard fits else {
                // Junk after the audio (e.g. a truncated tag chunk) must not
                // discard a file whose fmt and data are intact.
                if fmtRange != nil && dataRange != nil { break walk }
                throw fail("\(describeID(data, at: offset)) chunk claims \(size) bytes but only \(remaining) remain")
            }

            let end = body + Int(size)
            var next = end + Int(size & 1)  // RIFF pads odd-sized chunks to even
            // Some writers forget the pad byte. If the padded position holds
            // garbage but the unpadded one holds a plausible chunk ID, follow
            // the writer rather than the spec.
            if size & 1 == 1, total - end >= 9,
               !isPlausibleID(data, at: next), isPlausibleID(data, at: end) {
                next = end
            }
            offset = next
        }

        guard let fmtRange else { throw fail("no fmt chunk") }
        let format = try parseFormat(data, fmtRange, fail: fail)
        guard let dataRange else { throw fail("no data chunk") }

        // MARK: Samples
        // Whole frames only: a file truncated mid-sample (or mid-frame) ends
        // at the last complete frame so channels never get misaligned.
        let frameBytes = format.bytesPerFrame
        let frameCount = dataRange.count / frameBytes
        let sampleCount = frameCount * format.channels
        let samples = convert(data, from: dataRange.lowerBound, count: sampleCount, encoding: format.encoding)
        return WAVFile(format: format, samples: samples)
    }

    // MARK: - fmt chunk

    private static func parseFormat(
        _ data: [UInt8], _ range: Range<Int>, fail: (String) -> WAVError
    ) throws(WAVError) -> WAVFormat {
        guard range.count >= 16 else {
            throw fail("fmt chunk is \(range.count) bytes, expected at least 16")
        }
        let base = range.lowerBound
        var tag = readUInt16(data, at: base)
        let channels = Int(readUInt16(data, at: base + 2))
        let sampleRate = UInt64(readUInt32(data, at: base + 4))
        // Byte rate and block align are ignored: they are derivable, and
        // writers get them wrong more often than bits-per-sample.
        let bits = Int(readUInt16(data, at: base + 14))

        var extensible = false
        if tag == formatExtensible {
            // WAVEFORMATEXTENSIBLE: 16 + cbSize(2) + validBits(2) +
            // channelMask(4) + subformat GUID(16). cbSize itself is not
            // trusted; the bytes being present is what matters.
            guard range.count >= 40 else {
                throw fail("extensible fmt chunk is \(range.count) bytes, expected at least 40")
            }
            let guid = base + 24
            guard data[(guid + 2)..<(guid + 16)].elementsEqual(guidTail) else {
                throw fail("unsupported extensible subformat \(describeGUID(data, at: guid))")
            }
            tag = readUInt16(data, at: guid)
            extensible = true
        }

        let encoding: WAVFormat.Encoding
        switch tag {
        case formatPCM:
            // Non-multiple-of-8 depths (e.g. 12 or 20 bits) are stored
            // left-justified in whole bytes, so reading the container is right.
            switch (bits + 7) / 8 {
            case 1: encoding = .pcm8
            case 2: encoding = .pcm16
            case 3: encoding = .pcm24
            case 4: encoding = .pcm32
            default: throw fail("unsupported PCM bit depth \(bits)")
            }
        case formatFloat:
            switch bits {
            case 32: encoding = .float32
            case 64: encoding = .float64
            default: throw fail("unsupported float bit depth \(bits)")
            }
        default:
            let source = extensible ? "extensible subformat" : "format tag"
            throw fail("unsupported encoding: \(source) \(hex16(tag))\(formatName(tag).map { " (\($0))" } ?? "")")
        }

        guard channels != 0 else { throw fail("0 channels") }
        guard WAVFormat.supportedChannels.contains(channels) else {
            throw fail("\(channels) channels, at most \(WAVFormat.supportedChannels.upperBound) supported")
        }
        guard sampleRate != 0 else { throw fail("sample rate 0") }
        guard sampleRate <= UInt64(WAVFormat.supportedSampleRates.upperBound) else {
            throw fail("sample rate \(sampleRate), at most \(WAVFormat.supportedSampleRates.upperBound) supported")
        }
        return WAVFormat(sampleRate: Int(sampleRate), channels: channels, encoding: encoding)
    }

    // MARK: - Sample conversion

    /// Converts `count` samples starting at byte `start` to Int16. The caller
    /// guarantees the bytes exist (count is derived from the data range).
    private static func convert(
        _ data: [UInt8], from start: Int, count: Int, encoding: WAVFormat.Encoding
    ) -> [Int16] {
        let width = encoding.bytesPerSample
        precondition(start >= 0 && count >= 0 && start + count * width <= data.count)
        guard count > 0 else { return [] }
        return [Int16](unsafeUninitializedCapacity: count) { out, initialized in
            data.withUnsafeBytes { raw in
                let src = UnsafeRawBufferPointer(rebasing: raw[start..<(start + count * width)])
                switch encoding {
                case .pcm8:
                    // 8-bit WAV is unsigned with 128 as silence.
                    for i in 0..<count {
                        out[i] = Int16(Int(src[i]) - 128) << 8
                    }
                case .pcm16:
                    for i in 0..<count {
                        out[i] = Int16(littleEndian: src.loadUnaligned(fromByteOffset: i * 2, as: Int16.self))
                    }
                case .pcm24:
                    for i in 0..<count {
                        let p = i * 3
                        let value = Int32(src[p]) | Int32(src[p + 1]) << 8 | Int32(Int8(bitPattern: src[p + 2])) << 16
                        // +128 then floor-shift rounds to nearest; only the
                        // top code can round past Int16.max, hence the clamp.
                        out[i] = clamp16(Int64(value + 128) >> 8)
                    }
                case .pcm32:
                    for i in 0..<count {
                        let value = Int32(littleEndian: src.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
                        out[i] = clamp16((Int64(value) + 32_768) >> 16)
                    }
                case .float32:
                    for i in 0..<count {
                        let bits = UInt32(littleEndian: src.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                        out[i] = floatTo16(Double(Float(bitPattern: bits)))
                    }
                case .float64:
                    for i in 0..<count {
                        let bits = UInt64(littleEndian: src.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                        out[i] = floatTo16(Double(bitPattern: bits))
                    }
                }
            }
            initialized = count
        }
    }

    @inline(__always)
    private static func clamp16(_ value: Int64) -> Int16 {
        Int16(clamping: value)
    }

    /// Float → Int16 with a 32768 scale (the convention sox and most DAWs
    /// use, so int16 → float → int16 is lossless), rounding to nearest and
    /// clamping. NaN becomes silence: `Int16(Double.nan)` would trap.
    @inline(__always)
    private static func floatTo16(_ value: Double) -> Int16 {
        guard !value.isNaN else { return 0 }
        let scaled = (value * 32_768).rounded()
        if scaled >= 32_767 { return .max }
        if scaled <= -32_768 { return .min }
        return Int16(scaled)
    }

    // MARK: - Byte helpers (callers guarantee the bytes exist)

    private static let riffMagic: [UInt8] = Array("RIFF".utf8)
    private static let fourCCfmt: UInt32 = 0x2074_6D66  // "fmt " little-endian
    private static let fourCCdata: UInt32 = 0x6174_6164  // "data" little-endian
    private static let formatPCM: UInt16 = 0x0001
    private static let formatFloat: UInt16 = 0x0003
    private static let formatExtensible: UInt16 = 0xFFFE
    /// Bytes 2..<16 of KSDATAFORMAT_SUBTYPE_{PCM,IEEE_FLOAT}
    /// (xxxxxxxx-0000-0010-8000-00AA00389B71); bytes 0..<2 hold the format tag.
    private static let guidTail: [UInt8] = [
        0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
    ]

    @inline(__always)
    private static func readUInt16(_ data: [UInt8], at i: Int) -> UInt16 {
        UInt16(data[i]) | UInt16(data[i + 1]) << 8
    }

    @inline(__always)
    private static func readUInt32(_ data: [UInt8], at i: Int) -> UInt32 {
        UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24
    }

    private static func fourCC(_ data: [UInt8], at i: Int) -> UInt32 { readUInt32(data, at: i) }

    /// True when the 4 bytes at `i` exist and are printable ASCII, as every
    /// real chunk ID is.
    private static func isPlausibleID(_ data: [UInt8], at i: Int) -> Bool {
        guard i >= 0, data.count - i >= 4 else { return false }
        return data[i..<(i + 4)].allSatisfy { (0x20...0x7E).contains($0) }
    }

    /// 'LIST' for printable IDs, hex for garbage so the message stays one
    /// readable line.
    private static func describeID(_ data: [UInt8], at i: Int) -> String {
        if isPlausibleID(data, at: i) {
            return "'" + String(decoding: data[i..<(i + 4)], as: UTF8.self) + "'"
        }
        return "0x" + data[i..<(i + 4)].map { hexByte($0) }.joined()
    }

    private static func describeGUID(_ data: [UInt8], at i: Int) -> String {
        // GUIDs store their first three fields little-endian.
        let b = Array(data[i..<(i + 16)])
        let part1 = [b[3], b[2], b[1], b[0]].map(hexByte).joined()
        let part2 = [b[5], b[4]].map(hexByte).joined()
        let part3 = [b[7], b[6]].map(hexByte).joined()
        let part4 = b[8..<10].map(hexByte).joined()
        let part5 = b[10..<16].map(hexByte).joined()
        return "\(part1)-\(part2)-\(part3)-\(part4)-\(part5)"
    }

    private static func hexByte(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }

    private static func hex16(_ value: UInt16) -> String {
        "0x" + hexByte(UInt8(value >> 8)) + hexByte(UInt8(value & 0xFF))
    }

    /// Names for tags people actually run into, so "0x0055 (MPEG Layer 3)"
    /// tells the user to convert an MP3-in-WAV rather than hunt for a bug.
    private static func formatName(_ tag: UInt16) -> String? {
        switch tag {
        case 0x0002: "Microsoft ADPCM"
        case 0x0006: "A-law"
        case 0x0007: "mu-law"
        case 0x0011: "IMA ADPCM"
        case 0x0031: "GSM 6.10"
        case 0x0040: "G.721 ADPCM"
        case 0x0050: "MPEG"
        case 0x0055: "MPEG Layer 3"
        case 0x0092: "Dolby AC-3 SPDIF"
        case 0x00FF, 0x1610: "AAC"
        case 0x0160, 0x0161, 0x0162, 0x0163: "Windows Media Audio"
        case 0x2000: "AC-3"
        case 0x6750, 0x6751, 0x6752, 0x674F: "Ogg Vorbis"
        case 0xF1AC: "FLAC"
        default: nil
        }
    }
}
