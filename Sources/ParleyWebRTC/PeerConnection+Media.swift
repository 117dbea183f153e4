// SPDX-License-Identifier: Apache-2.0

import Dispatch
import ParleyRTC

/// Audio over SRTP on the peer connection's queue: the send path, the receive path with its
/// 20 ms pull timer, and RTCP reports (RFC 3550 §6.4).
extension PeerConnection {
    func sendAudio(_ samples: [Int16]) {
        guard connectionState != .closed, let audioSender else { return }
        let ready = localSends && srtp != nil && iceState.hasSelectedPair
        guard let packet = audioSender.packetize(
            samples, payloadType: ready ? audioPayloadType : nil, srtp: ready ? srtp : nil, now: .now)
        else { return }
        ice?.send(packet)
    }

    func receiveRTP(_ datagram: [UInt8]) {
        guard let srtp, let audioPayloadType else {
            datagramsDropped += 1
            return
        }
        if audioReceiver == nil {
            audioReceiver = try? AudioReceiver(config: configuration.jitterBuffer)
        }
        guard let audioReceiver else { return }
        var packet = datagram
        do {
            try srtp.unprotectRTP(&packet)
            let view = try RTPPacketView(packet)
            audioReceiver.receive(view, payloadType: audioPayloadType, now: .now)
        } catch {
            datagramsDropped += 1
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
        for rtcp in packets {
            switch rtcp {
            case .senderReport(let report):
                audioReceiver?.handle(senderReport: report, now: now)
                for block in report.reports { audioSender?.handle(report: block) }
            case .receiverReport(let report):
                for block in report.reports { audioSender?.handle(report: block) }
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
        pull.setEventHandler { [weak self] in
            guard let self, self.connectionState != .closed, let receiver = self.audioReceiver, receiver.isPlaying else { return }
            let frame = receiver.pull(now: .now)
            self.audioFrameHandler?(frame)
        }
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

    /// SR when we send (with a block about the peer's stream), else RR; then SDES CNAME (RFC 3550 §6.1).
    func sendReports() {
        guard connectionState != .closed, let srtp, let ice else { return }
        let now = ContinuousClock.now
        let blocks = audioReceiver?.reportBlock(now: now).map { [$0] } ?? []
        var packets: [RTCPPacket] = []
        let ssrc: UInt32
        if let sender = audioSender, let report = sender.senderReport(reports: blocks, now: now) {
            packets.append(.senderReport(report))
            ssrc = sender.ssrc
        } else if !blocks.isEmpty {
            ssrc = audioSender?.ssrc ?? receiverReportSSRC
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
