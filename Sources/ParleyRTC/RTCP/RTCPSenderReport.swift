// SPDX-License-Identifier: Apache-2.0

/// SR: Sender Report (RFC 3550 §6.4.1), PT 200. Relates the sender's RTP timestamps to wall
/// clock (NTP) time and counts what it sent. LiveKit derives the SRs it forwards to
/// subscribers from the publisher's, so a publisher must send them (livekit-protocol.md §7).
public struct RTCPSenderReport: Sendable, Hashable {
    public var ssrc: UInt32
    /// 64-bit NTP timestamp: seconds since 1900 in the high 32 bits, fraction in the low 32.
    public var ntpTime: UInt64
    /// The same instant in the RTP clock of this source.
    public var rtpTime: UInt32
    public var packetCount: UInt32
    /// Payload octets sent (headers and padding excluded).
    public var octetCount: UInt32
    public var reports: [RTCPReportBlock]
    /// Profile-specific extension bytes after the report blocks (a multiple of 4).
    public var profileExtension: [UInt8]

    public init(
        ssrc: UInt32, ntpTime: UInt64, rtpTime: UInt32, packetCount: UInt32, octetCount: UInt32,
        reports: [RTCPReportBlock] = [], profileExtension: [UInt8] = []
    ) {
        self.ssrc = ssrc
        self.ntpTime = ntpTime
        self.rtpTime = rtpTime
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reports = reports
        self.profileExtension = profileExtension
    }

    /// The middle 32 bits of `ntpTime`: what a receiver echoes as LSR (§6.4.1).
    public var compactNTP: UInt32 { UInt32(truncatingIfNeeded: ntpTime >> 16) }

    init(header: RTCPHeader, body: ArraySlice<UInt8>, offset: Int) throws(RTCPError) {
        let needed = 24 + RTCPReportBlock.length * Int(header.count)
        guard body.count >= needed else {
            throw .bodyTooShort(.senderReport, offset: offset, needed: needed, available: body.count)
        }
        let start = body.startIndex
        ssrc = body.readBE32(start)
        ntpTime = body.readBE64(start + 4)
        rtpTime = body.readBE32(start + 12)
        packetCount = body.readBE32(start + 16)
        octetCount = body.readBE32(start + 20)
        reports = (0..<Int(header.count)).map { RTCPReportBlock(body, at: start + 24 + RTCPReportBlock.length * $0) }
        profileExtension = Array(body[(start + needed)...])
    }

    var bodyLength: Int { 24 + RTCPReportBlock.length * reports.count + profileExtension.count }

    func validate() throws(RTCPError) {
        guard reports.count <= 31 else { throw .fieldOutOfRange("SR has \(reports.count) report blocks; at most 31 fit") }
        guard profileExtension.count % 4 == 0 else { throw .fieldOutOfRange("SR profile extension is not a whole number of words") }
    }

    func writeBody(_ writer: inout BufferWriter) {
        writer.be32(ssrc)
        writer.be32(UInt32(truncatingIfNeeded: ntpTime >> 32))
        writer.be32(UInt32(truncatingIfNeeded: ntpTime))
        writer.be32(rtpTime)
        writer.be32(packetCount)
        writer.be32(octetCount)
        for report in reports { report.write(&writer) }
        writer.bytes(profileExtension)
    }
}
