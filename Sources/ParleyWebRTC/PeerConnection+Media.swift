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
        let sequenceNumber = sender.nextSequenceNumber
        guard let packet = sender.packetize(
            samples, payloadType: ready ? transceiver.payloadType : nil, srtp: ready ? srtp : nil, now: .now)
        else { return }
        if let outboundRTPFilter, outboundRTPFilter(sequenceNumber) { return }
        ice?.send(packet)
    }

    func receiveRTP(_ datagram: [UInt8]) {
        guard let srtp else {
            datagramsDropped += 1
            return
        }
        // Unprotected in the connection's reused buffer, not in a copy of the datagram: no
        // allocation per packet (see SRTPPacketBuffer). The view is gone before the next one.
        let view: RTPPacketView
        do {
            try rtpReceiveBuffer.unprotectRTP(datagram, with: srtp)
            view = try RTPPacketView(rtpReceiveBuffer.bytes)
        } catch {
            datagramsDropped += 1
            return
        }
        guard let mid = demuxer.route(view), let transceiver = transceiver(mid: mid), transceiver.receives,
            let receiver = transceiver.receiver, let payloadType = transceiver.payloadType
        else { return }
        let now = ContinuousClock.now
        receiver.receive(view, payloadType: payloadType, now: now)
        // A gap is asked for at once (the pull tick repeats the request if needed): audio's
        // playout deadline is tens of milliseconds away, no time to wait for a batch.
        if transceiver.nackNegotiated { sendDueNACK(transceiver, now: now) }
        if let id = transceiver.audioLevelExtensionID, let level = view.extensionValue(id: id) {
            receiver.noteAudioLevel(level)
        }
        if let id = transceiver.absCaptureTimeExtensionID, let value = view.extensionValue(id: id) {
            receiver.noteCaptureTime(value)
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
            case .genericNACK(let nack):
                guard let owner = transceivers.first(where: { $0.sender?.ssrc == nack.mediaSSRC })?.sender else {
                    feedbackStats.nacksForUnknownSSRC += 1
                    continue
                }
                owner.handle(nack: nack, now: now) { packet in _ = ice?.send(packet) }
            case .pictureLossIndication(let pli):
                feedbackStats.pliReceived += 1
                if isLocalSSRC(pli.mediaSSRC) {
                    keyframeRequested(KeyframeRequest(kind: .pictureLossIndication, mediaSSRC: pli.mediaSSRC, senderSSRC: pli.senderSSRC))
                }
            case .fullIntraRequest(let fir):
                for entry in fir.entries {
                    feedbackStats.firReceived += 1
                    guard isLocalSSRC(entry.ssrc) else { continue }
                    // RFC 5104 §4.3.1.2: the same sequence number again is a retransmission of
                    // the same request, to be answered once.
                    if lastFIRSequence[entry.ssrc] == entry.sequenceNumber {
                        feedbackStats.firRepeated += 1
                        continue
                    }
                    lastFIRSequence[entry.ssrc] = entry.sequenceNumber
                    keyframeRequested(
                        KeyframeRequest(
                            kind: .fullIntraRequest(sequenceNumber: entry.sequenceNumber), mediaSSRC: entry.ssrc,
                            senderSSRC: fir.senderSSRC))
                }
            default:
                break
            }
        }
    }

    /// An SSRC one of our senders uses (audio today; video senders will join).
    private func isLocalSSRC(_ ssrc: UInt32) -> Bool {
        transceivers.contains { $0.sender?.ssrc == ssrc }
    }

    private func keyframeRequested(_ request: KeyframeRequest) {
        feedbackStats.keyframeRequests += 1
        keyframeRequestHandler?(request)
    }

    /// Asks the sender of `mediaSSRC` for a key frame (PLI, RFC 4585 §6.3.1): what a video
    /// receiver does when its depacketizer reports a dropped frame. Sent at once, in its own
    /// compound packet.
    public func sendPictureLossIndication(mediaSSRC: UInt32) {
        onQueue {
            let pli = RTCPPictureLossIndication(senderSSRC: localFeedbackSSRC, mediaSSRC: mediaSSRC)
            if sendFeedback([.pictureLossIndication(pli)]) { feedbackStats.pliSent += 1 }
        }
    }

    /// The SSRC our feedback comes from: our sender's, else the receive-only one.
    var localFeedbackSSRC: UInt32 { senderTransceiver?.sender?.ssrc ?? receiverReportSSRC }

    /// Sends feedback as an RTCP compound packet (RFC 4585 §3.1: an empty RR and SDES CNAME
    /// first, so it is valid with or without reduced-size RTCP). Returns whether it went out.
    @discardableResult
    func sendFeedback(_ feedback: [RTCPPacket]) -> Bool {
        guard connectionState != .closed, let srtp, let ice else {
            feedbackStats.sendFailures += 1
            return false
        }
        let ssrc = localFeedbackSSRC
        var packets: [RTCPPacket] = [
            .receiverReport(RTCPReceiverReport(ssrc: ssrc)),
            .sourceDescription(RTCPSourceDescription(chunks: [.init(ssrc: ssrc, items: [.cname(configuration.cname)])])),
        ]
        packets += feedback
        guard var bytes = try? RTCPCompound.serialize(packets), (try? srtp.protectRTCP(&bytes)) != nil else {
            feedbackStats.sendFailures += 1
            return false
        }
        return ice.send(bytes)
    }

    /// Generic NACK retries for what our receivers still miss, once per 20 ms tick.
    private func sendDueNACKs(now: ContinuousClock.Instant) {
        for transceiver in transceivers where transceiver.receives && transceiver.nackNegotiated {
            sendDueNACK(transceiver, now: now)
        }
    }

    private func sendDueNACK(_ transceiver: AudioTransceiver, now: ContinuousClock.Instant) {
        let rtt = senderTransceiver?.sender?.stats.roundTripTime
        guard let nack = transceiver.receiver?.dueNACK(senderSSRC: localFeedbackSSRC, now: now, rtt: rtt) else { return }
        sendFeedback([.genericNACK(nack)])
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
        guard connectionState != .closed else { return }
        sendDueNACKs(now: now)
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
