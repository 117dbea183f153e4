// SPDX-License-Identifier: Apache-2.0

/// The VP8 payload descriptor (RFC 7741 §4.2) at the start of every VP8 RTP payload:
///
/// ```
///       0 1 2 3 4 5 6 7
///      +-+-+-+-+-+-+-+-+
///      |X|R|N|S|R| PID | (required)
///      +-+-+-+-+-+-+-+-+
/// X:   |I|L|T|K| RSV   | (optional)
///      +-+-+-+-+-+-+-+-+
/// I:   |M| PictureID   | (optional; M: 15-bit picture id, one more byte)
///      +-+-+-+-+-+-+-+-+
/// L:   |   TL0PICIDX   | (optional)
///      +-+-+-+-+-+-+-+-+
/// T/K: |TID|Y| KEYIDX  | (optional)
///      +-+-+-+-+-+-+-+-+
/// ```
public struct VP8PayloadDescriptor: Sendable, Hashable {
    /// N: the frame is not used as a reference; it may be discarded.
    public var nonReference = false
    /// S: the packet starts a VP8 partition.
    public var startOfPartition = false
    /// PID: the partition index (0–7).
    public var partitionIndex: UInt8 = 0
    /// I: a 7-bit (0–127) or, with `longPictureID`, 15-bit (0–32767) picture id.
    public var pictureID: UInt16?
    /// M: the picture id takes 15 bits (two bytes).
    public var longPictureID = true
    /// L: TL0PICIDX, the running index of the temporal base layer frames.
    public var tl0PictureIndex: UInt8?
    /// T: the temporal layer index (0–3).
    public var temporalLayerID: UInt8?
    /// Y: layer sync (only meaningful with T).
    public var layerSync = false
    /// K: the temporal key frame index (0–31).
    public var keyIndex: UInt8?

    public init(
        nonReference: Bool = false, startOfPartition: Bool = false, partitionIndex: UInt8 = 0, pictureID: UInt16? = nil,
        longPictureID: Bool = true, tl0PictureIndex: UInt8? = nil, temporalLayerID: UInt8? = nil, layerSync: Bool = false,
        keyIndex: UInt8? = nil
    ) {
        self.nonReference = nonReference
        self.startOfPartition = startOfPartition
        self.partitionIndex = partitionIndex
        self.pictureID = pictureID
        self.longPictureID = longPictureID
        self.tl0PictureIndex = tl0PictureIndex
        self.temporalLayerID = temporalLayerID
        self.layerSync = layerSync
        self.keyIndex = keyIndex
    }

    /// Whether the extension byte (X) is needed.
    var hasExtension: Bool { pictureID != nil || tl0PictureIndex != nil || temporalLayerID != nil || keyIndex != nil }

    /// Bytes on the wire.
    public var length: Int {
        guard hasExtension else { return 1 }
        var length = 2
        if pictureID != nil { length += longPictureID ? 2 : 1 }
        if tl0PictureIndex != nil { length += 1 }
        if temporalLayerID != nil || keyIndex != nil { length += 1 }
        return length
    }

    /// Parses the descriptor at the start of `payload` (RFC 7741 §4.2). The reserved bits are
    /// ignored, as receivers must.
    public init(parsing payload: ArraySlice<UInt8>) throws(RTPVideoPayloadError) {
        var index = payload.startIndex
        func next() throws(RTPVideoPayloadError) -> UInt8 {
            guard index < payload.endIndex else {
                throw .vp8DescriptorTruncated(needed: index - payload.startIndex + 1, available: payload.count)
            }
            defer { index += 1 }
            return payload[index]
        }
        let first = try next()
        nonReference = first & 0x20 != 0
        startOfPartition = first & 0x10 != 0
        partitionIndex = first & 0x07
        guard first & 0x80 != 0 else { return }
        let flags = try next()
        if flags & 0x80 != 0 {
            let high = try next()
            if high & 0x80 != 0 {
                longPictureID = true
                pictureID = UInt16(high & 0x7F) << 8 | UInt16(try next())
            } else {
                longPictureID = false
                pictureID = UInt16(high)
            }
        }
        if flags & 0x40 != 0 { tl0PictureIndex = try next() }
        if flags & 0x30 != 0 {
            let byte = try next()
            if flags & 0x20 != 0 {
                temporalLayerID = byte >> 6
                layerSync = byte & 0x20 != 0
            }
            if flags & 0x10 != 0 { keyIndex = byte & 0x1F }
        }
    }

    /// Appends the descriptor's bytes.
    public func write(to out: inout [UInt8]) {
        out.append((hasExtension ? 0x80 : 0) | (nonReference ? 0x20 : 0) | (startOfPartition ? 0x10 : 0) | (partitionIndex & 0x07))
        guard hasExtension else { return }
        out.append(
            (pictureID != nil ? 0x80 : 0) | (tl0PictureIndex != nil ? 0x40 : 0) | (temporalLayerID != nil ? 0x20 : 0)
                | (keyIndex != nil ? 0x10 : 0))
        if let pictureID {
            if longPictureID {
                out.append(0x80 | UInt8(truncatingIfNeeded: pictureID >> 8) & 0x7F)
                out.append(UInt8(truncatingIfNeeded: pictureID))
            } else {
                out.append(UInt8(truncatingIfNeeded: pictureID) & 0x7F)
            }
        }
        if let tl0PictureIndex { out.append(tl0PictureIndex) }
        if temporalLayerID != nil || keyIndex != nil {
            out.append(((temporalLayerID ?? 0) & 0x03) << 6 | (layerSync ? 0x20 : 0) | ((keyIndex ?? 0) & 0x1F))
        }
    }
}
