// SPDX-License-Identifier: Apache-2.0

import ParleyRTC

/// Applying a completed offer/answer (JSEP §5.10–5.11 as one step, on reaching stable): the
/// transports the first time, then per m-line what each audio transceiver and the data
/// section now do, and the remote-track events that follow from it.
extension PeerConnection {
    /// Both descriptions are set. The first time: fix the DTLS role and create the DTLS
    /// transport (and the SCTP association if there is a data section). Every time: walk the
    /// m-lines in order — audio sections get their payload type, direction, header extension
    /// ids and the peer's msid/SSRCs; a receiving section gets a receiver (a new one when the
    /// peer now sends another track there), one that stopped receiving loses it; a data
    /// section appearing creates the association, one rejected closes it. Then the SSRC
    /// demuxer is rebuilt and `onRemoteAudioTrackEnded` / `onRemoteAudioTrack` fire.
    func applyNegotiation(local: SessionDescription, remote: SessionDescription, localIsAnswer: Bool) throws(PeerConnectionError) {
        guard let remoteTransport = Self.transportSection(of: remote) else { return }
        if dtls == nil {
            try createDTLS(local: local, remote: remote, remoteTransport: remoteTransport, localIsAnswer: localIsAnswer)
        }
        negotiations += 1

        var ended: [RemoteAudioTrack] = []
        var added: [RemoteAudioTrack] = []
        var order: [String: Int] = [:]
        var dataSeen = false
        for (index, localSection) in local.media.enumerated() {
            guard index < remote.media.count, let mid = localSection.mid else { continue }
            order[mid] = index
            let remoteSection = remote.media[index]
            let accepted = !localSection.isRejected && !remoteSection.isRejected
            switch localSection.kind {
            case .audio:
                guard let transceiver = transceiver(mid: mid) else { continue }
                let answer = localIsAnswer ? localSection : remoteSection
                guard accepted, let opus = answer.codec(named: "opus", clockRate: 48000) else {
                    // Rejected (RFC 3264 §6): the transceiver is stopped for good.
                    transceiver.stopped = true
                    transceiver.currentDirection = .inactive
                    if let track = transceiver.stopReceiving() { ended.append(track) }
                    continue
                }
                configure(transceiver, local: localSection, remote: remoteSection, answer: answer, payloadType: opus.payloadType)
                if transceiver.receives {
                    let identity = transceiver.remoteTrack!
                    if let announced = transceiver.announced, announced != identity {
                        // The peer reused the section for another track (LiveKit, protocol ≥ 4).
                        ended.append(announced)
                        _ = transceiver.stopReceiving()
                    }
                    if transceiver.receiver == nil {
                        do {
                            transceiver.receiver = try AudioReceiver(config: configuration.jitterBuffer)
                        } catch {
                            throw .audio("cannot create the Opus decoder: \(error)")
                        }
                    }
                    transceiver.receiver?.setNACK(enabled: transceiver.nackNegotiated)
                    if transceiver.announced == nil {
                        transceiver.announced = identity
                        added.append(identity)
                    }
                } else if let track = transceiver.stopReceiving() {
                    ended.append(track)
                }
            case .application:
                if accepted && !dataSeen {
                    dataSeen = true
                    remoteSCTPPort = remoteSection.sctpPort ?? 5000
                    remoteMaxMessageSize = remoteSection.maxMessageSize.map { Int(clamping: $0) } ?? 65_536
                    if sctp == nil || sctpClosedLocally { createSCTP() }
                } else if !accepted, let sctp, !sctpClosedLocally {
                    // The data section was rejected in a renegotiation: our own shutdown, not a hangup.
                    sctpClosedLocally = true
                    sctp.close()
                }
            default:
                break
            }
        }
        transceivers.sort { (order[$0.mid ?? ""] ?? Int.max) < (order[$1.mid ?? ""] ?? Int.max) }
        demuxer.update(
            transceivers.filter(\.receives).compactMap { transceiver in
                transceiver.mid.map {
                    SSRCDemuxer.Section(mid: $0, declaredSSRCs: transceiver.remoteSSRCs, midExtensionID: transceiver.midExtensionID)
                }
            })
        negotiatedLocal = local
        negotiatedRemote = remote
        if iceState.hasSelectedPair { startDTLS() }
        for track in ended { remoteAudioTrackEndedHandler?(track) }
        for track in added { remoteAudioTrackHandler?(track) }
    }

    /// One audio section's negotiated parameters.
    private func configure(
        _ transceiver: AudioTransceiver, local: MediaDescription, remote: MediaDescription, answer: MediaDescription,
        payloadType: UInt8
    ) {
        transceiver.payloadType = payloadType
        let ours = local.effectiveDirection
        let theirs = remote.effectiveDirection
        transceiver.currentDirection = SDPDirection(sends: ours.sends && theirs.receives, receives: ours.receives && theirs.sends)
        // RFC 8285 §6: the answer's extmaps are the ones both sides use, with the offer's ids.
        func extensionID(_ uri: String) -> UInt8? {
            guard let map = answer.extmaps.first(where: { $0.uri == uri }), (1...14).contains(map.id),
                (local.extmaps + remote.extmaps).filter({ $0.uri == uri }).allSatisfy({ $0.id == map.id })
            else { return nil }
            return UInt8(map.id)
        }
        transceiver.midExtensionID = extensionID(SDPExtmap.sdesMid)
        transceiver.audioLevelExtensionID = extensionID(SDPExtmap.ssrcAudioLevel)
        transceiver.absCaptureTimeExtensionID = extensionID(SDPExtmap.absCaptureTime)
        // The answer lists only feedback both sides take (RFC 4585 §4.2; SDPBuilder filters
        // an offer's list the same way), so its plain `nack` for Opus means agreed.
        transceiver.nackNegotiated = configuration.audioNACK
            && answer.codec(named: "opus", clockRate: 48000)?.feedback.contains { $0.type == "nack" && $0.parameter == nil } == true
        for map in answer.extmaps where builder?.audioExtensions.contains(map.uri) == true {
            builder?.negotiatedExtensionIDs[map.uri] = map.id
        }
        // The peer's stream: a=msid (RFC 8830), else the a=ssrc msid attribute pion and
        // Chrome's plan-B heritage still write; SSRCs from a=ssrc (RFC 5576).
        transceiver.remoteSSRCs = remote.ssrcIDs
        if let msid = remote.msids.first {
            transceiver.remoteStreamID = msid.streamID
            transceiver.remoteTrackID = msid.trackID
        } else if let value = remote.ssrcs.first(where: { $0.attribute == "msid" })?.value {
            let parts = value.split(separator: " ", maxSplits: 1).map(String.init)
            transceiver.remoteStreamID = parts.first
            transceiver.remoteTrackID = parts.count > 1 ? parts[1] : nil
        } else {
            transceiver.remoteStreamID = nil
            transceiver.remoteTrackID = nil
        }
        if let sender = transceiver.sender {
            sender.midExtension = transceiver.midExtensionID.flatMap { id in transceiver.mid.map { (id, $0) } }
            sender.audioLevelExtensionID = transceiver.audioLevelExtensionID
            sender.absCaptureTimeExtensionID = transceiver.absCaptureTimeExtensionID
            sender.setRetransmission(enabled: transceiver.nackNegotiated)
        }
    }

    /// The DTLS transport of the first negotiation; our role from our own `a=setup` in an
    /// answer, else the opposite of the remote answer's.
    private func createDTLS(
        local: SessionDescription, remote: SessionDescription, remoteTransport: MediaDescription, localIsAnswer: Bool
    ) throws(PeerConnectionError) {
        let role: DTLSRole
        if localIsAnswer {
            guard let section = Self.transportSection(of: local), let setup = local.setup(for: section),
                let ours = DTLSRole(localSetup: setup)
            else { throw .invalidRemoteDescription("our answer has no usable a=setup") }
            role = ours
        } else {
            switch remote.setup(for: remoteTransport) {
            case .active: role = .server
            case .passive: role = .client
            default: throw .invalidRemoteDescription("the answer's a=setup must be active or passive")
            }
        }
        dtlsRole = role
        remoteFingerprints = remote.fingerprints(for: remoteTransport)
        var dtlsConfig = DTLSTransport.Configuration(role: role, remoteFingerprints: remoteFingerprints)
        dtlsConfig.initialRetransmitTimeout = configuration.dtlsInitialRetransmitTimeout
        dtlsConfig.handshakeTimeout = configuration.dtlsHandshakeTimeout
        do {
            dtls = try DTLSTransport(context: dtlsContext, configuration: dtlsConfig)
        } catch {
            throw .dtls(error)
        }
    }

    /// The SCTP association over DTLS (RFC 8261); started at once when DTLS is already up
    /// (a data section added by a renegotiation), else when DTLS connects.
    private func createSCTP() {
        guard let role = dtlsRole, let remotePort = remoteSCTPPort else { return }
        var sctpConfig = SCTPAssociation.Configuration(role: role)
        sctpConfig.remotePort = remotePort
        sctpConfig.localPort = builder?.sctpPort ?? 5000
        sctpConfig.remoteMaxMessageSize = remoteMaxMessageSize
        sctpConfig.maxMessageSize = Int(builder?.maxMessageSize ?? 65_535)
        let association = SCTPAssociation(
            transport: DTLSDataChannelTransport { [weak self] packet in
                guard let self else { return }
                self.queue.async { self.sendSCTP(packet) }
            },
            configuration: sctpConfig)
        association.onDataChannel = { [weak self] channel in
            guard let self else { return }
            self.queue.async { self.dataChannelHandler?(channel) }
        }
        association.onStateChange = { [weak self] state in
            guard let self else { return }
            self.queue.async { self.handleSCTPState(state) }
        }
        sctp = association
        sctpClosedLocally = false
        sctpWasConnected = false
        if dtls?.state == .connected { try? association.start() }
    }
}
