// SPDX-License-Identifier: Apache-2.0

import Dispatch
import ParleyRTC

/// The transport plumbing, all on the peer connection's queue: ICE events, RFC 7983
/// demultiplexing of what the ICE socket hands up, the DTLS handshake and its timer, SRTP
/// keying, SCTP over DTLS, the connection state, and the peer hanging up.
extension PeerConnection {
    static let maxHeldDTLS = 32

    func handleICE(_ event: ICEEvent) {
        guard connectionState != .closed else { return }
        switch event {
        case .localCandidate(let candidate):
            let (mid, index) = candidateSection
            localCandidateHandler?(ICECandidateInit(
                candidate: candidate.description, sdpMid: mid, sdpMLineIndex: index, usernameFragment: localICE?.usernameFragment))
        case .gatheringComplete:
            let (mid, index) = candidateSection
            localCandidateHandler?(ICECandidateInit(
                candidate: "", sdpMid: mid, sdpMLineIndex: index, usernameFragment: localICE?.usernameFragment))
        case .stateChanged(let state):
            iceState = state
            if state.hasSelectedPair { startDTLS() }
            updateConnectionState()
        case .selectedPairChanged:
            // First selection, or a new pair after an ICE restart: DTLS, SRTP and SCTP simply
            // continue over it (the ICE socket sends on whatever pair is selected).
            if dtls != nil { startDTLS() }
        case .roleChanged:
            break
        }
    }

    /// The section trickled candidates belong to: the BUNDLE transport (our first accepted
    /// m-line; with BUNDLE one set of candidates serves every section, RFC 8843 §10).
    var candidateSection: (mid: String, index: Int) {
        guard let local = localDescription?.description,
            let index = local.media.firstIndex(where: { !$0.isRejected }), let mid = local.media[index].mid
        else { return ("0", 0) }
        return (mid, index)
    }

    /// A non-STUN datagram from the ICE socket (RFC 7983 §7, RFC 5761 §4).
    func handleDatagram(_ datagram: [UInt8]) {
        guard connectionState != .closed else { return }
        switch PacketDemux.classify(datagram) {
        case .dtls:
            guard let dtls, dtls.state != .new else {
                if heldDTLS.count < Self.maxHeldDTLS { heldDTLS.append(datagram) } else { datagramsDropped += 1 }
                return
            }
            feedDTLS(datagram, into: dtls)
        case .rtp:
            receiveRTP(datagram)
        case .rtcp:
            receiveRTCP(datagram)
        default:
            datagramsDropped += 1
        }
    }

    /// Starts the handshake once ICE has a pair and the DTLS role is known; replays held datagrams.
    func startDTLS() {
        guard let dtls, dtls.state == .new, iceState.hasSelectedPair else { return }
        do {
            send(try dtls.start(now: .now))
        } catch {
            updateConnectionState()
            return
        }
        let held = heldDTLS
        heldDTLS = []
        for datagram in held { feedDTLS(datagram, into: dtls) }
        armDTLSTimer()
        updateConnectionState()
    }

    private func feedDTLS(_ datagram: [UInt8], into dtls: DTLSTransport) {
        let output: DTLSOutput
        do {
            output = try dtls.receive(datagram, now: .now)
        } catch {
            send(dtls.takePendingDatagrams())
            updateConnectionState()
            return
        }
        send(output.datagrams)
        for event in output.events {
            switch event {
            case .connected(let keys):
                dtlsConnected(keys)
            case .applicationData(let packet):
                sctp?.receive(packet)
            case .closed:
                // close_notify (RFC 5246 §7.2.1): no record can follow on this association.
                teardown(.remoteDTLSClose)
                return
            }
        }
        armDTLSTimer()
    }

    /// The association's state (on our queue). Its end while ICE and DTLS are up, and not
    /// by our hand, is the peer hanging up: pion, aiortc and browsers send ABORT or SHUTDOWN
    /// only when they close the connection. (Lost connectivity shows in ICE first, and an
    /// association that never came up is a setup failure, not a hangup.)
    func handleSCTPState(_ state: SCTPAssociationState) {
        guard connectionState != .closed else { return }
        switch state {
        case .connected:
            sctpWasConnected = true
        case .closed, .failed:
            if sctpWasConnected && !sctpClosedLocally && iceState.hasSelectedPair && dtls?.state == .connected {
                teardown(state == .failed ? .remoteSCTPAbort : .remoteSCTPShutdown)
                return
            }
        default:
            break
        }
        updateConnectionState()
    }

    private func dtlsConnected(_ keys: SRTPKeyingMaterial?) {
        dtlsHandshakes += 1
        if let keys, let role = dtlsRole {
            srtp = try? SRTPSession(keyingMaterial: keys, role: role)
        }
        if let sctp, sctp.state == .new {
            try? sctp.start()
        }
        startMediaTimers()
        updateConnectionState()
    }

    private func armDTLSTimer() {
        dtlsTimer?.cancel()
        dtlsTimer = nil
        guard let dtls, let next = dtls.nextTimeout else { return }
        let delay = max(.zero, next - ContinuousClock.now)
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .nanoseconds(Int(delay.components.seconds) * 1_000_000_000
            + Int(delay.components.attoseconds / 1_000_000_000)), leeway: .milliseconds(1))
        timer.setEventHandler { [weak self] in
            guard let self, let dtls = self.dtls, self.connectionState != .closed else { return }
            do {
                self.send(try dtls.handleTimeout(now: .now))
            } catch {
                self.send(dtls.takePendingDatagrams())
                self.updateConnectionState()
                return
            }
            self.armDTLSTimer()
        }
        timer.resume()
        dtlsTimer = timer
    }

    func send(_ datagrams: [[UInt8]]) {
        guard let ice else { return }
        for datagram in datagrams { ice.send(datagram) }
    }

    /// An SCTP packet from the association: one DTLS record (RFC 8261 §5).
    func sendSCTP(_ packet: [UInt8]) {
        guard connectionState != .closed, let dtls, dtls.state == .connected else { return }
        do {
            send(try dtls.send(applicationData: packet))
        } catch {
            datagramsDropped += 1
        }
    }

    /// pion's rule: failed if any transport failed; connected when ICE has a pair and DTLS is
    /// connected; disconnected when ICE is; otherwise connecting.
    func updateConnectionState() {
        guard connectionState != .closed else { return }
        let dtlsState = dtls?.state
        let next: PeerConnectionState
        if iceState == .failed || dtlsState == .failed {
            next = .failed
        } else if iceState == .disconnected {
            next = .disconnected
        } else if iceState.hasSelectedPair && dtlsState == .connected {
            next = .connected
        } else if iceState == .new && dtls == nil && localDescription == nil {
            next = .new
        } else {
            next = .connecting
        }
        setConnectionState(next)
    }
}
