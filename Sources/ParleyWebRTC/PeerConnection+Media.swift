// SPDX-License-Identifier: Apache-2.0

import Dispatch
import ParleyRTC

/// Audio over SRTP on the peer connection's queue: the send path, the receive path (SSRC
/// demultiplexing to one receiver per receiving section) with its 20 ms pull timer, and RTCP
/// reports (RFC 3550 §6.4).
extension PeerConnection {
    func sendAudio(_ samples: [Int16]) {
        guard connectionState != .closed, let transceiver = senderTransceiver, let sender = transceiver.sender else { return }
        let ready = transceiver.sends && srtp != nil && iceState.hasSelectedPair
        guard let packet = sender.packetize(
            samples, payloadType: ready ? transceiver.payloadType : nil, srtp: ready ? srtp : nil, now: .now)
        else { return }
        ice?.send(packet)
    }

    func receiveRTP(_ datagram: [UInt8]) {
        guard let srtp else {
            datagramsDropped += 1
            return
        }
        var packet = datagram
        let view: RTPPacketView
        do {
            try srtp.unprotectRTP(&packet)
            view = try RTPPacketView(packet)
        } catch {
            datagramsDropped += 1
            return
        }
        guard let mid = demuxer.route(view), let transceiver = transceiver(mid: mid), transceiver.receives,
            let receiver = transceiver.receiver, let payloadType = transceiver.payloadType
        else { return }
        receiver.receive(view, payloadType: payloadType, now: .now)
        if let id = transceiver.audioLevelExtensionID, let level = view.extensionValue(id: id) {
            receiver.noteAudioLevel(level)
        }
    }

    func receiveRTCP(_ datagram: [UInt8]) {
        guard let srtp else {
            datagramsDropped += 1
            return
        }
        var packet = datagram
        let packets: [RTCPPacket]
        do {
            try srtp.unprotectRTCP(&packet)
            packets = try RTCPCompound.parse(packet)
        } catch {
            datagramsDropped += 1
            return
        }
        let now = ContinuousClock.now
        let sender = senderTransceiver?.sender
        for rtcp in packets {
            switch rtcp {
            case .senderReport(let report):
                if let mid = demuxer.owner(of: report.ssrc) { transceiver(mid: mid)?.receiver?.handle(senderReport: report, now: now) }
                for block in report.reports { sender?.handle(report: block) }
            case .receiverReport(let report):
                for block in report.reports { sender?.handle(report: block) }
            default:
                break
            }
        }
    }

    /// The 20 ms playout tick and the RTCP report timer, from DTLS connected to close.
    func startMediaTimers() {
        guard pullTimer == nil else { return }
        let pull = DispatchSource.makeTimerSource(flags: .strict, queue: queue)
        pull.schedule(deadline: .now() + .milliseconds(20), repeating: .milliseconds(20), leeway: .milliseconds(1))
        pull.setEventHandler { [weak self] in self?.pullFrames() }
        pull.resume()
        pullTimer = pull
        let interval = configuration.rtcpInterval
        let milliseconds = Int(interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000)
        let rtcp = DispatchSource.makeTimerSource(queue: queue)
        rtcp.schedule(deadline: .now() + .milliseconds(milliseconds), repeating: .milliseconds(milliseconds), leeway: .milliseconds(20))
        rtcp.setEventHandler { [weak self] in self?.sendReports() }
        rtcp.resume()
        rtcpTimer = rtcp
    }

    /// One frame from every receiving track that has started, in m-line order; the first of
    /// them also goes to `onAudioFrame`. A handler may close the connection: checked each time.
    private func pullFrames() {
        var first = true
        let now = ContinuousClock.now
        for transceiver in transceivers {
            guard connectionState != .closed else { return }
            guard transceiver.receives, let receiver = transceiver.receiver, receiver.isPlaying,
                let track = transceiver.announced
            else { continue }
            let frame = receiver.pull(now: now)
            remoteAudioFrameHandler?(track, frame)
            if first {
                first = false
                audioFrameHandler?(frame)
            }
        }
    }

    /// SR when we send (with a block about each stream we receive), else RR; then SDES CNAME
    /// (RFC 3550 §6.1). At most 31 report blocks fit one report (RFC 3550 §6.4.1).
    func sendReports() {
        guard connectionState != .closed, let srtp, let ice else { return }
        let now = ContinuousClock.now
        let blocks = Array(transceivers.compactMap { $0.receives ? $0.receiver?.reportBlock(now: now) : nil }.prefix(31))
        var packets: [RTCPPacket] = []
        let ssrc: UInt32
        let sender = senderTransceiver?.sender
        if let sender, let report = sender.senderReport(reports: blocks, now: now) {
            packets.append(.senderReport(report))
            ssrc = sender.ssrc
        } else if !blocks.isEmpty {
            ssrc = sender?.ssrc ?? receiverReportSSRC
            packets.append(.receiverReport(RTCPReceiverReport(ssrc: ssrc, reports: blocks)))
        } else {
            return
        }
        packets.append(.sourceDescription(RTCPSourceDescription(chunks: [.init(ssrc: ssrc, items: [.cname(configuration.cname)])])))
        guard var bytes = try? RTCPCompound.serialize(packets) else { return }
        do {
            try srtp.protectRTCP(&bytes)
        } catch {
            return
        }
        ice.send(bytes)
    }

    /// RFC 3550 §6.4.2: a receive-only endpoint still needs an SSRC for its RRs.
    var receiverReportSSRC: UInt32 { UInt32(truncatingIfNeeded: certificate.fingerprint.bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }) | 1 }
}
