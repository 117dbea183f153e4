// SPDX-License-Identifier: Apache-2.0

@testable import ParleyRTC

/// Bytes from a hex listing such as RFC 5769 prints ("00 01 00 58 ..."); whitespace ignored.
func hexBytes(_ text: String) -> [UInt8] {
    let digits = text.unicodeScalars.filter { !$0.properties.isWhitespace }.map { Character($0) }
    precondition(digits.count % 2 == 0, "odd hex listing")
    var out: [UInt8] = []
    var i = 0
    while i < digits.count {
        out.append(UInt8(String(digits[i..<i + 2]), radix: 16)!)
        i += 2
    }
    return out
}

/// A small deterministic PRNG (SplitMix64) so the fuzz smoke tests replay identically.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Mutations in the spirit of libFuzzer's: flip bits, overwrite, insert, delete, truncate,
/// duplicate a run. Used by the fuzz smoke tests to walk the parsers' error paths.
func mutate(_ input: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
    var bytes = input
    let rounds = Int.random(in: 1...4, using: &rng)
    for _ in 0..<rounds {
        switch Int.random(in: 0..<7, using: &rng) {
        case 0 where !bytes.isEmpty:
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            bytes[i] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
        case 1 where !bytes.isEmpty:
            bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
        case 2:
            bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
        case 3 where !bytes.isEmpty:
            bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng))
        case 4 where !bytes.isEmpty:
            bytes.removeLast(Int.random(in: 0...bytes.count, using: &rng))
        case 5 where bytes.count > 2:
            let start = Int.random(in: 0..<bytes.count - 1, using: &rng)
            let end = Int.random(in: start..<bytes.count, using: &rng)
            bytes.insert(contentsOf: bytes[start...end], at: Int.random(in: 0...bytes.count, using: &rng))
        default:
            // "Interesting" values at a random offset, like libFuzzer's CMP table.
            if bytes.count >= 2 {
                let i = Int.random(in: 0..<bytes.count - 1, using: &rng)
                let value: UInt16 = [0, 0xFFFF, 0x8000, 0x7FFF, 1, 4][Int.random(in: 0..<6, using: &rng)]
                bytes[i] = UInt8(value >> 8)
                bytes[i + 1] = UInt8(value & 0xFF)
            }
        }
    }
    return bytes
}
