// SPDX-License-Identifier: Apache-2.0

import Dispatch
import ParleyRTC

/// The transport plumbing, all on the peer connection's queue: ICE events, RFC 7983
/// demultiplexing of what the ICE socket hands up, the DTLS handshake and its timer, SRTP
/// keying, SCTP over DTLS, and the connection state.
extension PeerConnection {
    static let maxHeldDTLS = 32

    func handleICE(_ event: ICEEvent) {
        guard connectionState != .closed else { return }
        switch event {
        case .localCandidate(let candidate):
            localCandidateHandler?(ICECandidateInit(candidate: candidate.description, sdpMid: Self.audioMid, sdpMLineIndex: 0))
        case .gatheringComplete:
            localCandidateHandler?(ICECandidateInit(candidate: "", sdpMid: Self.audioMid, sdpMLineIndex: 0))
        case .stateChanged(let state):
            iceState = state
            if state.hasSelectedPair { startDTLS() }
            updateConnectionState()
        case .selectedPairChanged:
            if dtls != nil { startDTLS() }
        case .roleChanged:
            break
        }
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
                updateConnectionState()
            }
        }
        armDTLSTimer()
    }

    private func dtlsConnected(_ keys: SRTPKeyingMaterial?) {
        if let keys, let role = dtlsRole {
            srtp = try? SRTPSession(keyingMaterial: keys, role: role)
        }
        if let sctp {
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
