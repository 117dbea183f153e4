// SPDX-License-Identifier: Apache-2.0

/// The RTP fixed header plus CSRCs and header extensions (RFC 3550 §5.1, §5.3.1; RFC 8285).
///
/// The send path keeps one `RTPHeader` per stream, bumps `sequenceNumber`/`timestamp` per
/// packet and writes it with `write(into:)` straight into a packet buffer, followed by the
/// payload: no allocation per packet.
public struct RTPHeader: Sendable, Hashable {
    public var marker: Bool
    /// 0–127.
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    /// At most 15 (RFC 3550 §5.1, CC is 4 bits).
    public var csrcs: [UInt32]
    /// RFC 8285 elements. With no elements, no `extensionForm` and no `opaqueExtension`
    /// there is no extension block (X = 0).
    public var extensions: [RTPHeaderExtension]
    /// The form to write `extensions` in; nil picks one-byte when every element fits it.
    /// Set (as parsing does), an extension block is written even when it has no elements,
    /// so a received packet re-serializes to the same shape.
    public var extensionForm: RTPHeaderExtensionForm?
    /// A non-RFC 8285 extension block (RFC 3550 §5.3.1): profile and data (a multiple of 4 bytes).
    public var opaqueExtension: OpaqueExtension?

    public struct OpaqueExtension: Sendable, Hashable {
        public var profile: UInt16
        public var data: [UInt8]
        public init(profile: UInt16, data: [UInt8]) {
            self.profile = profile
            self.data = data
        }
    }

    public init(
        marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
        csrcs: [UInt32] = [], extensions: [RTPHeaderExtension] = [], extensionForm: RTPHeaderExtensionForm? = nil
    ) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.extensions = extensions
        self.extensionForm = extensionForm
        opaqueExtension = nil
    }

    /// Copies the header out of a view.
    public init(_ view: RTPPacketView) {
        self.init(
            marker: view.marker, payloadType: view.payloadType, sequenceNumber: view.sequenceNumber,
            timestamp: view.timestamp, ssrc: view.ssrc, csrcs: (0..<view.csrcCount).map(view.csrc(at:)))
        if let form = view.extensionForm {
            extensionForm = form
            extensions = view.extensions.map { RTPHeaderExtension(id: $0.id, value: Array(view.bytes[$0.range])) }
        } else if let profile = view.extensionProfile {
            opaqueExtension = OpaqueExtension(profile: profile, data: Array(view.bytes[view.extensionRange]))
        }
    }

    public func extensionValue(id: UInt8) -> [UInt8]? {
        extensions.first { $0.id == id }?.value
    }

    private var resolvedForm: RTPHeaderExtensionForm { extensionForm ?? .fitting(extensions) }

    /// Bytes of the extension elements before padding to a 32-bit boundary.
    private var elementBytes: Int {
        switch resolvedForm {
        case .oneByte: extensions.reduce(0) { $0 + 1 + $1.value.count }
        case .twoByte: extensions.reduce(0) { $0 + 2 + $1.value.count }
        }
    }

    private var extensionBlockLength: Int {
        if let opaqueExtension { return 4 + opaqueExtension.data.count }
        if !hasExtensionBlock { return 0 }
        return 4 + (elementBytes + 3) / 4 * 4
    }

    /// Whether X is set: there are elements, a chosen form, or an opaque block.
    var hasExtensionBlock: Bool { opaqueExtension != nil || !extensions.isEmpty || extensionForm != nil }

    /// The header's size on the wire.
    public var serializedLength: Int { 12 + 4 * csrcs.count + extensionBlockLength }

    /// Checks what the wire format cannot carry.
    func validate() throws(RTPError) {
        guard payloadType <= 127 else { throw .fieldOutOfRange("payload type \(payloadType) is above 127") }
        guard csrcs.count <= 15 else { throw .fieldOutOfRange("header has \(csrcs.count) CSRCs; at most 15 fit") }
        if let opaqueExtension {
            guard opaqueExtension.data.count % 4 == 0, opaqueExtension.data.count / 4 <= 0xFFFF else {
                throw .fieldOutOfRange("opaque extension of \(opaqueExtension.data.count) bytes is not a whole number of words")
            }
            return
        }
        let form = resolvedForm
        for element in extensions {
            switch form {
            case .oneByte:
                guard (1...14).contains(element.id), (1...16).contains(element.value.count) else {
                    throw .extensionNotRepresentable(id: element.id, length: element.value.count, form: "one-byte")
                }
            case .twoByte:
                guard element.id >= 1, element.value.count <= 255 else {
                    throw .extensionNotRepresentable(id: element.id, length: element.value.count, form: "two-byte")
                }
            }
        }
        guard (elementBytes + 3) / 4 <= 0xFFFF else { throw .fieldOutOfRange("header extension is too long") }
    }

    /// Writes the header into `buffer` and returns the bytes written. `padding` sets the P bit
    /// for a packet whose tail the caller pads.
    @discardableResult
    public func write(into buffer: UnsafeMutableRawBufferPointer, padding: Bool = false) throws(RTPError) -> Int {
        try validate()
        let length = serializedLength
        guard buffer.count >= length else { throw .bufferTooSmall(needed: length, available: buffer.count) }
        var writer = BufferWriter(buffer)
        writer.u8(0x80 | (padding ? 0x20 : 0) | (hasExtensionBlock ? 0x10 : 0) | UInt8(csrcs.count))
        writer.u8((marker ? 0x80 : 0) | payloadType)
        writer.be16(sequenceNumber)
        writer.be32(timestamp)
        writer.be32(ssrc)
        for csrc in csrcs { writer.be32(csrc) }
        if let opaqueExtension {
            writer.be16(opaqueExtension.profile)
            writer.be16(UInt16(opaqueExtension.data.count / 4))
            writer.bytes(opaqueExtension.data)
        } else if hasExtensionBlock {
            let form = resolvedForm
            let words = (elementBytes + 3) / 4
            writer.be16(form.profile)
            writer.be16(UInt16(words))
            for element in extensions {
                switch form {
                case .oneByte:
                    writer.u8(element.id << 4 | UInt8(element.value.count - 1))
                case .twoByte:
                    writer.u8(element.id)
                    writer.u8(UInt8(element.value.count))
                }
                writer.bytes(element.value)
            }
            writer.zeros(words * 4 - elementBytes)  // RFC 8285 §4.1: padding bytes are 0
        }
        return writer.offset
    }
}

/// An RTP packet as a value: header, payload and padding (RFC 3550 §5.1). Parse from a view
/// with `init(parsing:)`; serialize into a caller's buffer with `serialize(into:)` or into a
/// new array with `serialize()`.
public struct RTPPacket: Sendable, Hashable {
    public var header: RTPHeader
    /// The payload as sent: for Opus one Opus packet (RFC 7587 §4.2).
    public var payload: [UInt8]
    /// Padding bytes to append, including the final count byte (0 = no padding; RFC 3550 §5.1).
    public var paddingLength: UInt8

    public init(header: RTPHeader, payload: [UInt8], paddingLength: UInt8 = 0) {
        self.header = header
        self.payload = payload
        self.paddingLength = paddingLength
    }

    public init(parsing bytes: [UInt8]) throws(RTPError) {
        let view = try RTPPacketView(bytes)
        self.init(header: RTPHeader(view), payload: Array(view.payload), paddingLength: UInt8(view.paddingLength))
    }

    public var serializedLength: Int { header.serializedLength + payload.count + Int(paddingLength) }

    /// Writes the packet into `buffer`; returns the bytes written.
    @discardableResult
    public func serialize(into buffer: UnsafeMutableRawBufferPointer) throws(RTPError) -> Int {
        let needed = serializedLength
        guard buffer.count >= needed else { throw .bufferTooSmall(needed: needed, available: buffer.count) }
        let headerLength = try header.write(into: buffer, padding: paddingLength > 0)
        var writer = BufferWriter(buffer, offset: headerLength)
        writer.bytes(payload)
        if paddingLength > 0 {
            writer.zeros(Int(paddingLength) - 1)
            writer.u8(paddingLength)
        }
        return writer.offset
    }

    public func serialize() throws(RTPError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: serializedLength)
        let result = out.withUnsafeMutableBytes { buffer in Result { () throws(RTPError) in try serialize(into: buffer) } }
        _ = try result.get()
        return out
    }
}
