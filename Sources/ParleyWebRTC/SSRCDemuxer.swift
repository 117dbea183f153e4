// SPDX-License-Identifier: Apache-2.0

import ParleyRTC

/// BUNDLE demultiplexing of inbound RTP (RFC 8843 §9.2): which receiving m-section (by mid) an
/// SSRC belongs to. In order:
///
/// 1. the SSRCs the peer declared with `a=ssrc` in that section (RFC 5576), what LiveKit's
///    subscriber offers carry for every track;
/// 2. the RTP mid header extension (RFC 9143 §15, `urn:ietf:params:rtp-hdrext:sdes:mid`) when
///    negotiated: the SSRC is learned for the section it names;
/// 3. otherwise the first receiving section (m-line order) that has no SSRC yet, declared or
///    learned: pion's rule for a single undeclared stream (handleUndeclaredSSRC).
///
/// Rebuilt on every negotiation: declared SSRCs come from the new remote description; learned
/// ones survive while their section still receives and declares nothing that contradicts them.
/// SSRCs whose section stopped receiving are retired, not handed to another section: a peer
/// may keep sending on a section it set inactive (aiortc does), and those packets must not
/// land in the next free section by rule 3. Confined to the peer connection's queue.
struct SSRCDemuxer {
    /// A receiving section as the demuxer needs it.
    struct Section {
        var mid: String
        var declaredSSRCs: [UInt32]
        var midExtensionID: UInt8?
    }

    private(set) var sections: [Section] = []
    private var owners: [UInt32: String] = [:]
    private var learned: [UInt32: String] = [:]
    private var retired: Set<UInt32> = []
    private(set) var stats = RTPDemuxStats()

    /// The receiving sections of the new negotiation, in m-line order.
    mutating func update(_ receiving: [Section]) {
        let previous = Set(owners.keys).union(learned.keys)
        sections = receiving
        owners = [:]
        for section in receiving {
            for ssrc in section.declaredSSRCs { owners[ssrc] = section.mid }
        }
        let mids = Set(receiving.map(\.mid))
        learned = learned.filter { ssrc, mid in
            guard mids.contains(mid), owners[ssrc] == nil else { return false }
            // A section that now declares its SSRCs has no use for a learned one.
            return receiving.first { $0.mid == mid }?.declaredSSRCs.isEmpty ?? false
        }
        retired = retired.union(previous).subtracting(owners.keys).subtracting(learned.keys)
        stats.declaredSSRCs = owners.count
    }

    /// The mid of the section an RTP packet belongs to, learning its SSRC when needed; nil
    /// (counted) when no receiving section takes it.
    mutating func route(_ packet: RTPPacketView) -> String? {
        let ssrc = packet.ssrc
        if let mid = owners[ssrc] ?? learned[ssrc] { return mid }
        guard !retired.contains(ssrc) else {
            stats.unknownSSRCPackets += 1
            return nil
        }
        // RFC 9143 §15: the mid header extension names the section; naming one that does not
        // receive (inactive, rejected) drops the packet rather than guessing.
        var checked: Set<UInt8> = []
        for section in sections {
            guard let id = section.midExtensionID, checked.insert(id).inserted,
                let value = packet.extensionValue(id: id)
            else { continue }
            let mid = String(decoding: value, as: UTF8.self)
            guard sections.contains(where: { $0.mid == mid }) else {
                stats.unknownSSRCPackets += 1
                return nil
            }
            learned[ssrc] = mid
            stats.learnedFromMidExtension += 1
            return mid
        }
        let taken = Set(owners.values).union(learned.values)
        if let free = sections.first(where: { !taken.contains($0.mid) }) {
            learned[ssrc] = free.mid
            stats.learnedByOrder += 1
            return free.mid
        }
        stats.unknownSSRCPackets += 1
        return nil
    }

    /// The section an SSRC is bound to, without learning (for RTCP sender reports).
    func owner(of ssrc: UInt32) -> String? {
        owners[ssrc] ?? learned[ssrc]
    }
}
