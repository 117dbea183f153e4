// SPDX-License-Identifier: Apache-2.0

import Foundation

/// A RIFF/WAVE file of 16-bit PCM, built in memory: what the transcription endpoint is sent.
///
/// The canonical 44-byte header (RIFF chunk, `fmt ` chunk with format 1 = PCM, `data` chunk),
/// all little-endian, followed by the samples.
enum WaveFile {
    static func encode(_ samples: [Int16], sampleRate: Int, channels: Int = 1) -> Data {
        let dataBytes = samples.count * 2
        var out = Data(capacity: 44 + dataBytes)
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { out.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { out.append(contentsOf: $0) } }
        out.append(contentsOf: Array("RIFF".utf8))
        u32(36 + dataBytes)
        out.append(contentsOf: Array("WAVE".utf8))
        out.append(contentsOf: Array("fmt ".utf8))
        u32(16)                              // fmt chunk size
        u16(1)                               // PCM
        u16(channels)
        u32(sampleRate)
        u32(sampleRate * channels * 2)       // byte rate
        u16(channels * 2)                    // block align
        u16(16)                              // bits per sample
        out.append(contentsOf: Array("data".utf8))
        u32(dataBytes)
        samples.withUnsafeBufferPointer { buffer in
            for s in buffer { withUnsafeBytes(of: s.littleEndian) { out.append(contentsOf: $0) } }
        }
        return out
    }
}
