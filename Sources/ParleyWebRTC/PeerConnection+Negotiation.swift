// SPDX-License-Identifier: Apache-2.0

import ParleyRTC

/// Offer/answer (JSEP RFC 9429 §5), any number of times: descriptions from `SDPBuilder`, the
/// remote one read for ICE credentials, candidates, fingerprints, `a=setup`, and per m-section
/// what `applyNegotiation` (PeerConnection+Transceivers) needs.
///
///     stable ──createOffer/setLocal(offer)──► haveLocalOffer ──setRemote(answer)──► stable (applied)
///     stable ──setRemote(offer)──► haveRemoteOffer ──createAnswer/setLocal(answer)──► stable (applied)
///
/// The first exchange creates ICE (and its role), DTLS (and its role) and SCTP; every later
/// one reuses them. An offer whose ICE credentials differ from the running ones is an ICE
/// restart (RFC 8445 §9, RFC 8839 §4.4): ours after `restartIce()` (JSEP §5.2.3.1), or the peer's.
extension PeerConnection {
    /// An offer. The first: an Opus section per transceiver (sendrecv with a track, else one
    /// recvonly section unless `offerToReceiveAudio` is off) and, by default, the data channel
    /// section, BUNDLEd, `a=setup:actpass`. Later ones (JSEP §5.2.2): every m-line of the
    /// current session in place with its mid (rejected ones with port 0), then sections for
    /// new transceivers and, if there is none yet, the data section; `a=setup` restates the
    /// DTLS role. After `restartIce()` it carries new ICE credentials. Candidates trickle.
    public func createOffer() throws(PeerConnectionError) -> TypedSessionDescription {
        try onQueue { () throws(PeerConnectionError) -> TypedSessionDescription in
            guard connectionState != .closed else { throw .closed }
            guard signalingState == .stable || signalingState == .haveLocalOffer else {
                throw .invalidSignalingState(signalingState, operation: "createOffer")
            }
            try ensureICE(role: .controlling)
            if iceRestartRequested && pendingICECredentials == nil { pendingICECredentials = .random() }
            useCredentials(pendingICECredentials ?? localICE)

            var sections: [SDPBuilder.Section] = []
            var usedMids: Set<String> = []
            var hasData = false
            if let local = negotiatedLocal {
                for (index, section) in local.media.enumerated() {
                    guard let mid = section.mid else { continue }
                    usedMids.insert(mid)
                    let rejected = section.isRejected || negotiatedRemote.map { index >= $0.media.count || $0.media[index].isRejected } ?? true
                    if !rejected, section.kind == .audio, let transceiver = transceiver(mid: mid), !transceiver.stopped {
                        sections.append(.audio(mid: mid, direction: transceiver.desiredDirection, sender: transceiver.senderDescription))
                    } else if !rejected, section.kind == .application, !hasData {
                        sections.append(.data(mid: mid))
                        hasData = true
                    } else {
                        sections.append(.rejected(mid: mid, kind: section.kind, proto: section.proto, formats: section.formats))
                    }
                }
            } else if transceivers.isEmpty && configuration.offerToReceiveAudio {
                transceivers.append(AudioTransceiver(origin: .offerToReceive))
            }
            for transceiver in transceivers where transceiver.mid == nil && !transceiver.stopped {
                let mid = transceiver.proposedMid.flatMap { usedMids.contains($0) ? nil : $0 } ?? Self.allocateMid(&usedMids)
                usedMids.insert(mid)
                transceiver.proposedMid = mid
                sections.append(.audio(mid: mid, direction: transceiver.desiredDirection, sender: transceiver.senderDescription))
            }
            if configuration.offerDataChannels && !hasData {
                sections.append(.data(mid: Self.allocateMid(&usedMids)))
            }
            let offer = builder!.offer(sections, setup: establishedSetup ?? .actpass)
            return TypedSessionDescription(type: .offer, description: offer)
        }
    }

    /// An answer to the remote offer (JSEP §5.3): every offered m-line in order with its mid;
    /// Opus audio accepted (the offer's payload type, Opus only: RED, PCMU, PCMA left out),
    /// recvonly for a sendonly section, sendrecv where our track goes; the first data section
    /// accepted; video and anything else rejected (port 0). One ufrag/pwd for all sections.
    /// `a=setup` from `configuration.answerSetup` the first time, then the role DTLS has.
    public func createAnswer() throws(PeerConnectionError) -> TypedSessionDescription {
        try onQueue { () throws(PeerConnectionError) -> TypedSessionDescription in
            guard connectionState != .closed else { throw .closed }
            guard signalingState == .haveRemoteOffer, let remote = remoteDescription else {
                throw .invalidSignalingState(signalingState, operation: "createAnswer")
            }
            useCredentials(localICE)
            let sender = transceivers.first { $0.track != nil && $0.mid != nil && !$0.stopped }
            do throws(SDPNegotiationError) {
                let answer = try builder!.answer(
                    to: remote.description, sender: sender?.senderDescription, receiveAudio: true,
                    setup: establishedSetup ?? configuration.answerSetup, senderMid: sender?.mid)
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
                let mids = Set(description.description.media.compactMap(\.mid))
                for transceiver in transceivers where transceiver.mid == nil {
                    if let proposed = transceiver.proposedMid, mids.contains(proposed) { transceiver.mid = proposed }
                }
                localDescription = description
                signalingState = .haveLocalOffer
                applyLocalCredentials(of: description.description)
            case (.answer, .haveRemoteOffer):
                guard let remote = remoteDescription else {
                    throw .invalidSignalingState(signalingState, operation: "setLocalDescription(answer)")
                }
                localDescription = description
                signalingState = .stable
                try applyNegotiation(local: description.description, remote: remote.description, localIsAnswer: true)
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
            guard let transport = Self.transportSection(of: sdp) else {
                throw .invalidRemoteDescription("every m-section is rejected")
            }
            guard let pair = sdp.iceCredentials(for: transport) else {
                throw .invalidRemoteDescription("no a=ice-ufrag/a=ice-pwd")
            }
            let credentials = ICECredentials(usernameFragment: pair.ufrag, password: pair.pwd)
            let fingerprints = sdp.fingerprints(for: transport)
            guard !fingerprints.isEmpty else { throw .invalidRemoteDescription("no a=fingerprint") }
            // RFC 8842 §5: a new certificate means a new DTLS association; this connection keeps one.
            if dtls != nil, !fingerprints.contains(where: { offered in remoteFingerprints.contains { $0.matches(offered) } }) {
                throw .invalidRemoteDescription("the peer's DTLS fingerprint changed; a new association needs a new PeerConnection")
            }
            switch (description.type, signalingState) {
            case (.offer, .stable):
                // The first offerer controls, unless it is lite (RFC 8445 §6.1.1).
                try ensureICE(role: sdp.iceLite ? .controlling : .controlled)
                associateTransceivers(with: sdp)
                remoteDescription = description
                signalingState = .haveRemoteOffer
                if let running = remoteICE, running != credentials, let ice {
                    // RFC 8445 §9, RFC 8839 §4.4: the peer restarts ICE; our answer
                    // brings new credentials too, and the agent starts a new generation.
                    let fresh = pendingICECredentials ?? .random()
                    ice.restart(credentials: fresh)
                    localICE = fresh
                    remoteICE = nil
                    iceRestartRequested = false
                    pendingICECredentials = nil
                    remoteICERestarts += 1
                }
            case (.answer, .haveLocalOffer):
                guard let local = localDescription else {
                    throw .invalidSignalingState(signalingState, operation: "setRemoteDescription(answer)")
                }
                remoteDescription = description
                signalingState = .stable
                try applyNegotiation(local: local.description, remote: sdp, localIsAnswer: false)
            default:
                throw .invalidSignalingState(signalingState, operation: "setRemoteDescription(\(description.type.rawValue))")
            }
            if remoteICE != credentials {
                ice?.setRemoteCredentials(credentials, lite: sdp.iceLite)
                remoteICE = credentials
            }
            // Candidates of the transport's generation only: a section with other credentials
            // (aiortc gives a new transceiver its own ICE transport until BUNDLE folds it in)
            // names addresses that will not answer our checks.
            for section in sdp.media where !section.isRejected {
                guard let own = sdp.iceCredentials(for: section), own.ufrag == credentials.usernameFragment else { continue }
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
    /// An empty `candidate` is end-of-candidates. A `usernameFragment` names the ICE
    /// generation, so a late candidate of the one before a restart is not paired.
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

    /// Asks for an ICE restart (RFC 8445 §9, W3C restartIce): the next `createOffer` carries
    /// new ufrag/pwd; once that offer is set, the agent runs new checks and selects a new pair
    /// while media keeps using the old one, and the DTLS association, SRTP keys and SCTP
    /// association carry on over whichever pair is selected (no new handshake). The peer's
    /// answer must bring new credentials too (a peer that ignores the restart, as aiortc does,
    /// leaves the call on the old pair). LiveKit needs it on the publisher connection after a
    /// signal resume (livekit-protocol.md §3).
    public func restartIce() {
        onQueue {
            // Before any description there is nothing to restart: the first offer has fresh credentials.
            guard connectionState != .closed, ice != nil else { return }
            iceRestartRequested = true
        }
    }

    private func addCandidateOnQueue(_ candidate: ICECandidateInit) throws(PeerConnectionError) {
        if candidate.isEndOfCandidates {
            ice?.addRemoteEndOfCandidates()
            return
        }
        do {
            var parsed = try ICECandidate(parsing: candidate.candidate)
            guard parsed.address.hasSuffix(".local") == false else { return }  // no mDNS resolver
            if parsed.usernameFragment == nil { parsed.usernameFragment = candidate.usernameFragment }
            ice?.addRemoteCandidate(parsed)
        } catch {
            throw .candidate("\(error)")
        }
    }

    // MARK: - Helpers

    /// The section whose transport every bundled section uses: the BUNDLE group's first
    /// accepted mid (RFC 8843 §7.2, the offerer-tagged section), else the first accepted section.
    static func transportSection(of sdp: SessionDescription) -> MediaDescription? {
        if let bundle = sdp.bundleGroup {
            for mid in bundle.mids {
                if let section = sdp.media(mid: mid), !section.isRejected { return section }
            }
        }
        return sdp.media.first { !$0.isRejected }
    }

    /// The lowest decimal mid not in use (how libwebrtc, pion and aiortc number sections).
    static func allocateMid(_ used: inout Set<String>) -> String {
        var next = 0
        while used.contains(String(next)) { next += 1 }
        used.insert(String(next))
        return String(next)
    }

    func transceiver(mid: String) -> AudioTransceiver? {
        transceivers.first { $0.mid == mid }
    }

    /// `a=setup` for a description once DTLS has a role: ours, restated (RFC 8842 §5).
    var establishedSetup: SDPSetupRole? {
        dtlsRole.map { $0 == .client ? .active : .passive }
    }

    /// The credentials the next description we create carries.
    private func useCredentials(_ credentials: ICECredentials?) {
        guard let credentials else { return }
        builder?.transport.iceUfrag = credentials.usernameFragment
        builder?.transport.icePwd = credentials.password
    }

    /// Our offer is set: if it carries credentials other than the agent's, that is our ICE
    /// restart (JSEP §5.2.3.1); the agent starts a new generation now and gathers again, and the
    /// peer's credentials follow with its answer.
    private func applyLocalCredentials(of offer: SessionDescription) {
        guard let ice, let section = Self.transportSection(of: offer), let pair = offer.iceCredentials(for: section) else { return }
        let credentials = ICECredentials(usernameFragment: pair.ufrag, password: pair.pwd)
        guard credentials != localICE else { return }
        ice.restart(credentials: credentials)
        localICE = credentials
        remoteICE = nil  // the restarted agent needs the peer's (new) credentials again
        iceRestartRequested = false
        pendingICECredentials = nil
        localICERestarts += 1
    }

    /// A remote offer's audio sections get their transceivers (JSEP §5.11; W3C "set the
    /// session description" step 4): the one with that mid, else one `addTrack` made that has
    /// no section yet, else a new receive-only one.
    private func associateTransceivers(with offer: SessionDescription) {
        for section in offer.media where section.kind == .audio && !section.isRejected {
            guard let mid = section.mid, transceiver(mid: mid) == nil else { continue }
            if let unassociated = transceivers.first(where: { $0.mid == nil && $0.track != nil && !$0.stopped }) {
                unassociated.mid = mid
                unassociated.proposedMid = nil
            } else {
                transceivers.append(AudioTransceiver(origin: .remoteOffer, mid: mid))
            }
        }
    }

    /// Creates the ICE driver on first use; its role follows who offers first.
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
            localICE = credentials
            builder = SDPBuilder(
                transport: SDPTransportParameters(
                    iceUfrag: credentials.usernameFragment, icePwd: credentials.password, fingerprint: certificate.fingerprint))
            // Offered, and accepted when the peer offers it: we answer NACKs and send them.
            builder?.audioFeedback = configuration.audioNACK ? ["nack"] : []
        } catch {
            throw .ice(error)
        }
    }

    private func startGathering() {
        guard !gathering, let ice else { return }
        gathering = true
        ice.start()
    }
}
