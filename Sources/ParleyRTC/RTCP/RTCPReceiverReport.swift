// SPDX-License-Identifier: Apache-2.0

/// RR: Receiver Report (RFC 3550 §6.4.2), PT 201: reception report blocks from a participant
/// that is not sending.
public struct RTCPReceiverReport: Sendable, Hashable {
    public var ssrc: UInt32
    public var reports: [RTCPReportBlock]
    public var profileExtension: [UInt8]

    public init(ssrc: UInt32, reports: [RTCPReportBlock] = [], profileExtension: [UInt8] = []) {
        self.ssrc = ssrc
        self.reports = reports
        self.profileExtension = profileExtension
    }

    init(header: RTCPHeader, body: ArraySlice<UInt8>, offset: Int) throws(RTCPError) {
        let needed = 4 + RTCPReportBlock.length * Int(header.count)
        guard body.count >= needed else {
            throw .bodyTooShort(.receiverReport, offset: offset, needed: needed, available: body.count)
        }
        let start = body.startIndex
        ssrc = body.readBE32(start)
        reports = (0..<Int(header.count)).map { RTCPReportBlock(body, at: start + 4 + RTCPReportBlock.length * $0) }
        profileExtension = Array(body[(start + needed)...])
    }

    var bodyLength: Int { 4 + RTCPReportBlock.length * reports.count + profileExtension.count }

    func validate() throws(RTCPError) {
        guard reports.count <= 31 else { throw .fieldOutOfRange("RR has \(reports.count) report blocks; at most 31 fit") }
        guard profileExtension.count % 4 == 0 else { throw .fieldOutOfRange("RR profile extension is not a whole number of words") }
    }

    func writeBody(_ writer: inout BufferWriter) {
        writer.be32(ssrc)
        for report in reports { report.write(&writer) }
        writer.bytes(profileExtension)
    }
}
