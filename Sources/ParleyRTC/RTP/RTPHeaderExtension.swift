// SPDX-License-Identifier: Apache-2.0

/// One RFC 8285 header extension element: a local id negotiated with `a=extmap` and its value
/// (e.g. 1 byte of audio level for RFC 6464, the mid string for RFC 9143's sdes:mid).
public struct RTPHeaderExtension: Sendable, Hashable {
    public var id: UInt8
    public var value: [UInt8]

    public init(id: UInt8, value: [UInt8]) {
        self.id = id
        self.value = value
    }

    /// RFC 6464 §3 audio level: V (voice activity) bit and level in -dBov (0 loudest, 127 silent).
    public static func audioLevel(id: UInt8, voiceActivity: Bool, level: UInt8) -> RTPHeaderExtension {
        RTPHeaderExtension(id: id, value: [(voiceActivity ? 0x80 : 0) | min(level, 127)])
    }
}

/// The header extension block's layout (RFC 8285 §4).
public enum RTPHeaderExtensionForm: Sendable, Hashable {
    /// Profile 0xBEDE: 1-byte element header, ids 1–14, values 1–16 bytes (§4.2).
    case oneByte
    /// Profile 0x100X: 2-byte element header, ids 1–255, values 0–255 bytes (§4.3); X is
    /// the 4 "appbits" an application may use.
    case twoByte(appBits: UInt8)

    static let oneByteProfile: UInt16 = 0xBEDE
    static let twoByteProfileMask: UInt16 = 0xFFF0
    static let twoByteProfile: UInt16 = 0x1000

    init?(profile: UInt16) {
        if profile == RTPHeaderExtensionForm.oneByteProfile {
            self = .oneByte
        } else if profile & RTPHeaderExtensionForm.twoByteProfileMask == RTPHeaderExtensionForm.twoByteProfile {
            self = .twoByte(appBits: UInt8(profile & 0x0F))
        } else {
            return nil
        }
    }

    var profile: UInt16 {
        switch self {
        case .oneByte: RTPHeaderExtensionForm.oneByteProfile
        case .twoByte(let appBits): RTPHeaderExtensionForm.twoByteProfile | UInt16(appBits & 0x0F)
        }
    }

    /// The form that can carry these elements: one-byte when every id is 1–14 and every value
    /// 1–16 bytes (it is smaller and every peer supports it), else two-byte.
    static func fitting(_ extensions: [RTPHeaderExtension]) -> RTPHeaderExtensionForm {
        extensions.allSatisfy { (1...14).contains($0.id) && (1...16).contains($0.value.count) } ? .oneByte : .twoByte(appBits: 0)
    }
}

/// Iterates the elements of an RFC 8285 extension block without allocating. Padding bytes
/// (id 0) are skipped; in the one-byte form id 15 ends the block (§4.2).
public struct RTPHeaderExtensionElements: Sequence, Sendable {
    /// One element: its id and where its value lies in the packet's bytes.
    public struct Element: Sendable, Hashable {
        public var id: UInt8
        public var range: Range<Int>
    }

    let bytes: [UInt8]
    let range: Range<Int>
    let form: RTPHeaderExtensionForm?

    public struct Iterator: IteratorProtocol {
        let bytes: [UInt8]
        let end: Int
        let form: RTPHeaderExtensionForm?
        var offset: Int

        public mutating func next() -> Element? {
            // Structure was validated when the view was created; the guards only stop iteration.
            guard let form else { return nil }
            while offset < end {
                let first = bytes[offset]
                // Padding: a zero byte; in the one-byte form any id 0 byte, whose length
                // bits are ignored (id 0 "MUST NOT be used as a local identifier", §4.2).
                if first == 0 || (form == .oneByte && first >> 4 == 0) {
                    offset += 1
                    continue
                }
                switch form {
                case .oneByte:
                    let id = first >> 4
                    if id == 15 { return nil }
                    let length = Int(first & 0x0F) + 1
                    let start = offset + 1
                    guard start + length <= end else { return nil }
                    offset = start + length
                    return Element(id: id, range: start..<(start + length))
                case .twoByte:
                    guard offset + 2 <= end else { return nil }
                    let length = Int(bytes[offset + 1])
                    let start = offset + 2
                    guard start + length <= end else { return nil }
                    offset = start + length
                    return Element(id: first, range: start..<(start + length))
                }
            }
            return nil
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(bytes: bytes, end: range.upperBound, form: form, offset: range.lowerBound)
    }

    /// Walks the block once to check every element fits (RFC 8285 §4.2, §4.3).
    static func validate(_ bytes: [UInt8], _ range: Range<Int>, form: RTPHeaderExtensionForm) throws(RTPError) {
        var offset = range.lowerBound
        while offset < range.upperBound {
            let first = bytes[offset]
            if first == 0 || (form == .oneByte && first >> 4 == 0) {
                offset += 1
                continue
            }
            switch form {
            case .oneByte:
                let id = first >> 4
                if id == 15 { return }
                let length = Int(first & 0x0F) + 1
                let available = range.upperBound - offset - 1
                guard length <= available else {
                    throw .extensionElementTruncated(id: id, offset: offset, length: length, available: available)
                }
                offset += 1 + length
            case .twoByte:
                guard offset + 2 <= range.upperBound else {
                    throw .extensionElementTruncated(id: first, offset: offset, length: 2, available: range.upperBound - offset)
                }
                let length = Int(bytes[offset + 1])
                let available = range.upperBound - offset - 2
                guard length <= available else {
                    throw .extensionElementTruncated(id: first, offset: offset, length: length, available: available)
                }
                offset += 2 + length
            }
        }
    }
}
