// SPDX-License-Identifier: Apache-2.0

import ParleyRTC

/// Offer/answer (JSEP RFC 9429 §5): descriptions from `SDPBuilder`, the remote one read for
/// ICE credentials, candidates, fingerprints, `a=setup`, the Opus payload type and SCTP port.
extension PeerConnection {
    static let audioMid = "0"
    static let dataMid = "1"

    /// An offer: one Opus section (sendrecv with a track, else recvonly) and, by default,
    /// the data channel section, BUNDLEd, `a=setup:actpass`. Candidates trickle separately.
    public func createOffer() throws(PeerConnectionError) -> TypedSessionDescription {
        try onQueue { () throws(PeerConnectionError) -> TypedSessionDescription in
            guard connectionState != .closed else { throw .closed }
            guard signalingState == .stable || signalingState == .haveLocalOffer else {
                throw .invalidSignalingState(signalingState, operation: "createOffer")
            }
            try ensureICE(role: .controlling)
            var sections: [SDPBuilder.Section] = [
                .audio(mid: Self.audioMid, direction: audioTrack == nil ? .recvonly : .sendrecv, sender: audioSenderDescription)
            ]
            if configuration.offerDataChannels { sections.append(.data(mid: Self.dataMid)) }
            let offer = builder!.offer(sections)
            return TypedSessionDescription(type: .offer, description: offer)
        }
    }

    /// An answer to the remote offer: Opus accepted (sendrecv with a track), the data section
    /// accepted, anything else rejected; `a=setup` from `configuration.answerSetup`.
    public func createAnswer() throws(PeerConnectionError) -> TypedSessionDescription {
        try onQueue { () throws(PeerConnectionError) -> TypedSessionDescription in
            guard connectionState != .closed else { throw .closed }
            guard signalingState == .haveRemoteOffer, let remote = remoteDescription else {
                throw .invalidSignalingState(signalingState, operation: "createAnswer")
            }
            do throws(SDPNegotiationError) {
                let answer = try builder!.answer(
                    to: remote.description, sender: audioSenderDescription, receiveAudio: true,
                    setup: configuration.answerSetup)
                return TypedSessionDescription(type: .answer, description: answer)
            } catch {
                throw .negotiation(error)
            }
        }
    }

    public func setLocalDescription(_ description: TypedSessionDescription) throws(PeerConnectionError) {
        try onQueue { () throws(PeerConnectionError) in
            guard connectionState != .closed else { throw .closed }
            switch (description.type, signalingState) {
            case (.offer, .stable), (.offer, .haveLocalOffer):
                localDescription = description
                signalingState = .haveLocalOffer
            case (.answer, .haveRemoteOffer):
                localDescription = description
                signalingState = .stable
                try applyNegotiation()
            default:
                throw .invalidSignalingState(signalingState, operation: "setLocalDescription(\(description.type.rawValue))")
            }
            startGathering()
            if connectionState == .new { setConnectionState(.connecting) }
        }
    }

    public func setRemoteDescription(_ description: TypedSessionDescription) throws(PeerConnectionError) {
        try onQueue { () throws(PeerConnectionError) in
            guard connectionState != .closed else { throw .closed }
            let sdp = description.description
            guard let transport = sdp.media.first(where: { !$0.isRejected }) else {
                throw .invalidRemoteDescription("every m-section is rejected")
            }
            guard let credentials = sdp.iceCredentials(for: transport) else {
                throw .invalidRemoteDescription("no a=ice-ufrag/a=ice-pwd")
            }
            guard !sdp.fingerprints(for: transport).isEmpty else { throw .invalidRemoteDescription("no a=fingerprint") }
            switch (description.type, signalingState) {
            case (.offer, .stable):
                // The offerer controls, unless it is lite (RFC 8445 §6.1.1).
                try ensureICE(role: sdp.iceLite ? .controlling : .controlled)
                remoteDescription = description
                signalingState = .haveRemoteOffer
            case (.answer, .haveLocalOffer):
                remoteDescription = description
                signalingState = .stable
                try applyNegotiation()
            default:
                throw .invalidSignalingState(signalingState, operation: "setRemoteDescription(\(description.type.rawValue))")
            }
            ice?.setRemoteCredentials(
                ICECredentials(usernameFragment: credentials.ufrag, password: credentials.pwd), lite: sdp.iceLite)
            for section in sdp.media where !section.isRejected {
                for candidate in section.candidates { ice?.addRemoteCandidate(candidate) }
                if section.endOfCandidates { ice?.addRemoteEndOfCandidates() }
            }
            let pending = pendingRemoteCandidates
            pendingRemoteCandidates = []
            for candidate in pending { try addCandidateOnQueue(candidate) }
            if connectionState == .new { setConnectionState(.connecting) }
        }
    }

    /// A trickled remote candidate (RFC 8838 §4); buffered until the remote description is set.
    /// An empty `candidate` is end-of-candidates.
    public func addIceCandidate(_ candidate: ICECandidateInit) throws(PeerConnectionError) {
        try onQueue { () throws(PeerConnectionError) in
            guard connectionState != .closed else { throw .closed }
            guard remoteDescription != nil else {
                pendingRemoteCandidates.append(candidate)
                return
            }
            try addCandidateOnQueue(candidate)
        }
    }

    private func addCandidateOnQueue(_ candidate: ICECandidateInit) throws(PeerConnectionError) {
        if candidate.isEndOfCandidates {
            ice?.addRemoteEndOfCandidates()
            return
        }
        do {
            let parsed = try ICECandidate(parsing: candidate.candidate)
            guard parsed.address.hasSuffix(".local") == false else { return }  // no mDNS resolver
            ice?.addRemoteCandidate(parsed)
        } catch {
            throw .candidate("\(error)")
        }
    }

    private var audioSenderDescription: SDPAudioSender? {
        guard let audioTrack, let audioSender else { return nil }
        return SDPAudioSender(streamID: audioTrack.streamID, trackID: audioTrack.id, ssrc: audioSender.ssrc, cname: audioSender.cname)
    }

    /// Creates the ICE driver on first use; its role follows who offers.
    private func ensureICE(role: ICERole) throws(PeerConnectionError) {
        guard ice == nil else { return }
        var config = configuration.ice
        config.role = role
        config.servers = configuration.iceServers
        // An explicitly listed loopback address is meant to be used (the agent skips loopback otherwise).
        config.includeLoopback = configuration.includeLoopback
            || (configuration.hostAddresses ?? []).contains { $0.isLoopback }
        do {
            let socket = try UDPICESocket(
                configuration: config, addresses: configuration.hostAddresses,
                onEvent: { [weak self] event in
                    guard let self else { return }
                    self.queue.async { self.handleICE(event) }
                },
                onPacket: { [weak self] datagram, _, _ in
                    guard let self else { return }
                    self.queue.async { self.handleDatagram(datagram) }
                })
            ice = socket
            let credentials = socket.localCredentials
            builder = SDPBuilder(
                transport: SDPTransportParameters(
                    iceUfrag: credentials.usernameFragment, icePwd: credentials.password, fingerprint: certificate.fingerprint))
        } catch {
            throw .ice(error)
        }
    }


    private func startGathering() {
        guard !gathering, let ice else { return }
        gathering = true
        ice.start()
    }

    /// Both descriptions are set: fix the DTLS role, the payload type, the directions, and
    /// create the DTLS transport and SCTP association.
    private func applyNegotiation() throws(PeerConnectionError) {
        guard let local = localDescription?.description, let remote = remoteDescription?.description else { return }
        guard let remoteTransport = remote.media.first(where: { !$0.isRejected }) else { return }
        // Our role: from our own a=setup in an answer, else the opposite of the remote answer's.
        let role: DTLSRole
        if localDescription?.type == .answer {
            guard let section = local.media.first(where: { !$0.isRejected }), let setup = local.setup(for: section),
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
        // Audio: the remote section's Opus payload type (an answer echoes ours; an offer's is what we answered with).
        if let remoteAudio = remote.media.first(where: { $0.kind == .audio && !$0.isRejected }),
            let localAudio = local.media.first(where: { $0.kind == .audio && !$0.isRejected }),
            let opus = remoteAudio.codec(named: "opus", clockRate: 48000)
        {
            audioPayloadType = opus.payloadType
            remoteSends = remoteAudio.effectiveDirection.sends
            localSends = localAudio.effectiveDirection.sends && audioSender != nil
        }
        if let remoteData = remote.media.first(where: { $0.kind == .application && !$0.isRejected }),
            local.media.contains(where: { $0.kind == .application && !$0.isRejected })
        {
            remoteSCTPPort = remoteData.sctpPort ?? 5000
            remoteMaxMessageSize = remoteData.maxMessageSize.map { Int(clamping: $0) } ?? 65_536
        }
        var dtlsConfig = DTLSTransport.Configuration(role: role, remoteFingerprints: remote.fingerprints(for: remoteTransport))
        dtlsConfig.initialRetransmitTimeout = configuration.dtlsInitialRetransmitTimeout
        dtlsConfig.handshakeTimeout = configuration.dtlsHandshakeTimeout
        do {
            dtls = try DTLSTransport(context: dtlsContext, configuration: dtlsConfig)
        } catch {
            throw .dtls(error)
        }
        if let remotePort = remoteSCTPPort {
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
                self.queue.async { self.updateConnectionState() }
                _ = state
            }
            sctp = association
        }
        if iceState.hasSelectedPair { startDTLS() }
    }
}
