// SPDX-License-Identifier: Apache-2.0

/// Streams 16-bit PCM to a canonical 44-byte-header WAV file.
///
/// The RIFF and data sizes are unknown until recording stops, so the header is
/// written with 0xFFFFFFFF placeholders and patched in `close()`. If the
/// process dies before that, the placeholders mark the file as "streamed,
/// size unknown", which `WAVReader` (and ffmpeg/sox) recover by reading to EOF
/// — a 0 placeholder would instead read back as silence.
///
/// Not Sendable: it owns a file position, so it belongs to one task/actor.
public final class WAVWriter {
    public let path: String
    public let format: WAVFormat
    /// Complete frames written so far.
    public private(set) var framesWritten: Int = 0

    /// -1 once closed.
    private var descriptor: Int32
    private var dataBytes: Int = 0

    public static let headerSize = 44
    /// Largest data chunk whose RIFF size (data + 36) still fits in UInt32,
    /// rounded down to a whole 16-bit sample.
    private static let maxDataBytes = Int(clamping: UInt32.max - 36) & ~1

    public var isClosed: Bool { descriptor < 0 }

    /// Creates (or truncates) `path` and writes the header.
    public init(path: String, sampleRate: Int, channels: Int) throws(WAVError) {
        // Same wording and limits as the reader, so a file this writer
        // produces is always one the reader accepts.
        guard channels != 0 else { throw WAVError(path: path, reason: "0 channels") }
        guard WAVFormat.supportedChannels.contains(channels) else {
            throw WAVError(path: path, reason: "\(channels) channels, must be 1...\(WAVFormat.supportedChannels.upperBound)")
        }
        guard sampleRate != 0 else { throw WAVError(path: path, reason: "sample rate 0") }
        guard WAVFormat.supportedSampleRates.contains(sampleRate) else {
            throw WAVError(path: path, reason: "sample rate \(sampleRate), must be 1...\(WAVFormat.supportedSampleRates.upperBound)")
        }
        let format = WAVFormat(sampleRate: sampleRate, channels: channels, encoding: .pcm16)

        let (fd, openError) = WAVPOSIX.createTruncating(path)
        guard fd >= 0 else {
            throw WAVError(path: path, reason: "cannot create: \(WAVPOSIX.errorText(openError))")
        }
        // Header goes out before `self` is fully initialised, so a failure
        // here cannot reach deinit's close() and patch a half-written file.
        let header = Self.header(format: format, dataBytes: nil)
        if let code = header.withUnsafeBytes({ WAVPOSIX.writeAll(fd, $0) }) {
            WAVPOSIX.closeDescriptor(fd)
            throw WAVError(path: path, reason: "cannot write header: \(WAVPOSIX.errorText(code))")
        }
        self.path = path
        self.format = format
        self.descriptor = fd
    }

    deinit {
        // Best effort: a writer dropped without close() still leaves a file
        // with correct sizes. Errors have nowhere to go from deinit.
        try? close()
    }

    /// Appends interleaved samples. The count must be a whole number of
    /// frames so `framesWritten` and the channel alignment stay exact.
    public func write(_ samples: UnsafeBufferPointer<Int16>) throws(WAVError) {
        guard descriptor >= 0 else { throw WAVError(path: path, reason: "writer is closed") }
        guard samples.count % format.channels == 0 else {
            throw WAVError(path: path, reason: "cannot write \(samples.count) samples: not a whole number of \(format.channels)-channel frames")
        }
        guard !samples.isEmpty else { return }
        let byteCount = samples.count * 2
        guard byteCount <= Self.maxDataBytes - dataBytes else {
            throw WAVError(path: path, reason: "data would exceed the 4 GiB WAV size limit")
        }

        let failure: Int32?
        #if _endian(little)
        // Host order is already WAV order: write the caller's buffer as-is,
        // no copy on the realtime path.
        failure = WAVPOSIX.writeAll(descriptor, UnsafeRawBufferPointer(samples))
        #else
        let swapped = samples.map { $0.littleEndian }
        failure = swapped.withUnsafeBytes { WAVPOSIX.writeAll(descriptor, $0) }
        #endif

        if let code = failure {
            // A short write may have left part of a frame on disk. Cut the
            // file back to the last good frame so later writes stay aligned
            // and close() still produces a valid file.
            _ = WAVPOSIX.truncate(descriptor, to: Self.headerSize + dataBytes)
            throw WAVError(path: path, reason: "write failed: \(WAVPOSIX.errorText(code))")
        }
        dataBytes += byteCount
        framesWritten += samples.count / format.channels
    }

    public func write(_ samples: [Int16]) throws(WAVError) {
        // withUnsafeBufferPointer only rethrows untyped errors, so carry the
        // typed error out by hand.
        var failure: WAVError?
        samples.withUnsafeBufferPointer { buffer in
            do throws(WAVError) { try write(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Patches the RIFF and data sizes and closes the file. Idempotent; the
    /// descriptor is released even when patching fails.
    public func close() throws(WAVError) {
        guard descriptor >= 0 else { return }
        let fd = descriptor
        descriptor = -1

        var problem: String?
        if let code = WAVPOSIX.writeAll(fd, Self.le32(UInt32(36 + dataBytes)), at: 4) {
            problem = "cannot patch RIFF size: \(WAVPOSIX.errorText(code))"
        } else if let code = WAVPOSIX.writeAll(fd, Self.le32(UInt32(dataBytes)), at: 40) {
            problem = "cannot patch data size: \(WAVPOSIX.errorText(code))"
        }
        // No fsync: durability against power loss is the caller's policy and
        // would add an unbounded stall to the audio path.
        if let code = WAVPOSIX.closeDescriptor(fd), problem == nil {
            problem = "close failed: \(WAVPOSIX.errorText(code))"
        }
        if let problem { throw WAVError(path: path, reason: problem) }
    }

    /// Writes a whole buffer of interleaved samples to `path` in one call.
    public static func write(
        _ samples: [Int16], to path: String, sampleRate: Int, channels: Int
    ) throws(WAVError) {
        let writer = try WAVWriter(path: path, sampleRate: sampleRate, channels: channels)
        do {
            try writer.write(samples)
        } catch {
            try? writer.close()
            throw error
        }
        try writer.close()
    }

    // MARK: - Header

    /// Canonical 44-byte PCM header. `dataBytes == nil` writes the
    /// 0xFFFFFFFF "unknown length" placeholders.
    static func header(format: WAVFormat, dataBytes: Int?) -> [UInt8] {
        let blockAlign = format.channels * 2
        let riffSize = dataBytes.map { UInt32(36 + $0) } ?? .max
        let dataSize = dataBytes.map { UInt32($0) } ?? .max
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerSize)
        bytes += Array("RIFF".utf8) + le32(riffSize) + Array("WAVE".utf8)
        bytes += Array("fmt ".utf8) + le32(16)
        bytes += le16(1)  // WAVE_FORMAT_PCM
        bytes += le16(UInt16(format.channels))
        bytes += le32(UInt32(format.sampleRate))
        bytes += le32(UInt32(format.sampleRate * blockAlign))  // byte rate
        bytes += le16(UInt16(blockAlign))
        bytes += le16(16)  // bits per sample
        bytes += Array("data".utf8) + le32(dataSize)
        return bytes
    }

    private static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }

    private static func le32(_ v: UInt32) -> [UInt8] {
        [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
    }
}
