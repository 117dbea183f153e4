// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyAudio
import ParleyCore
import ParleyLiveKitProto
import ParleyRTC
import ParleyWebRTC

/// The two peer connections (livekit-protocol.md §4): the server offers on the subscriber one
/// (we answer; ICE-controlled), we offer on the publisher one (ICE-controlling).
extension Room {
    func peerConnectionConfiguration() -> PeerConnectionConfiguration {
        var configuration = PeerConnectionConfiguration()
        configuration.hostAddresses = options.hostAddresses
        configuration.includeLoopback = options.includeLoopback
        configuration.opus = options.opus
        configuration.iceServers = (join?.iceServers ?? []).flatMap(\.stunServers)
        return configuration
    }

    func createPeerConnections() {
        closePeerConnections()
        do {
            subscriber = try makeSubscriber()
            publisher = try makePublisher()
        } catch {
            fatalError = .transport("cannot create a peer connection: \(error)")
        }
    }

    func makeSubscriber() throws(PeerConnectionError) -> PeerConnection {
        let pc = try PeerConnection(configuration: peerConnectionConfiguration())
        let gate = subscriberCandidates
        gate.close()
        pc.onLocalCandidate = { candidate in gate.offer(candidate) }
        pc.onDataChannel = { [weak self] channel in
            guard let self else { return }
            self.receiveData(on: channel)
        }
        let sink = remoteAudioSink
        let directory = trackDirectory
        pc.onRemoteAudioTrack = { [weak self] track in
            guard let self else { return }
            Task { await self.remoteTrackAdded(track) }
        }
        pc.onRemoteAudioTrackEnded = { [weak self] track in
            guard let self else { return }
            Task { await self.remoteTrackEnded(track) }
        }
        pc.onRemoteAudioFrame = { track, frame in
            // Hot path: on the connection's queue; one lock read, no actor hop.
            guard let deliver = sink.withLock({ $0 }) else { return }
            let key = track.trackID ?? track.mid
            guard let info = directory.withLock({ $0[key] }) else { return }
            deliver(info, frame)
        }
        pc.onConnectionStateChange = { [weak self] state in
            guard let self else { return }
            Task { await self.peerConnectionChanged(state, subscriber: true) }
        }
        return pc
    }

    func makePublisher() throws(PeerConnectionError) -> PeerConnection {
        let pc = try PeerConnection(configuration: peerConnectionConfiguration())
        let gate = publisherCandidates
        gate.close()
        pc.onLocalCandidate = { candidate in gate.offer(candidate) }
        pc.onConnectionStateChange = { [weak self] state in
            guard let self else { return }
            Task { await self.peerConnectionChanged(state, subscriber: false) }
        }
        return pc
    }

    func closePeerConnections() {
        subscriber?.close()
        publisher?.close()
        subscriber = nil
        publisher = nil
        reliableOut = nil
        lossyOut = nil
        outboundReady = false
        publisherNegotiated = false
        publisherNegotiating = false
        subscribedTracks = [:]
        trackDirectory.withLock { $0 = [:] }
    }

    func peerConnectionChanged(_ state: PeerConnectionState, subscriber isSubscriber: Bool) {
        logger.debug("peer connection state", metadata: ["pc": "\(isSubscriber ? "subscriber" : "publisher")", "state": "\(state)"])
        if state == .failed, connectionState == .connected {
            beginReconnect(reason: "\(isSubscriber ? "subscriber" : "publisher") connection failed", fullRejoin: false)
        }
    }

    // MARK: - Subscriber

    /// A server offer: the first one (data channels, maybe tracks), a renegotiation (tracks
    /// added, removed, reused), or an ICE restart after a resume.
    func handleSubscriberOffer(_ offer: Livekit_SessionDescription) {
        for (mid, trackSid) in offer.midToTrackID { midToTrackSid[mid] = trackSid }
        do {
            let description = try TypedSessionDescription(type: .offer, sdp: offer.sdp)
            // A new DTLS identity means a new transport on the server side: start over with a
            // fresh connection instead of renegotiating the old one.
            if let pc = subscriber, let current = pc.currentRemoteDescription,
                Self.fingerprints(current.description) != Self.fingerprints(description.description)
            {
                logger.info("server offered a new DTLS identity; replacing the subscriber connection")
                pc.close()
                subscribedTracks = [:]
                subscriber = try makeSubscriber()
            }
            guard let pc = subscriber else { return }
            try pc.setRemoteDescription(description)
            let answer = try pc.createAnswer()
            try pc.setLocalDescription(answer)
            var reply = Livekit_SessionDescription()
            reply.type = "answer"
            reply.sdp = answer.sdp
            reply.id = offer.id
            var request = Livekit_SignalRequest()
            request.answer = reply
            guard let client = signal else { return }
            client.send(request)
            subscriberCandidates.open { [weak self, weak client] candidate in
                guard let self, let client else { return }
                self.sendTrickle(candidate, target: .subscriber, on: client)
            }
        } catch {
            logger.error("cannot answer the server's offer", metadata: ["error": "\(error)"])
            beginReconnect(reason: "subscriber negotiation failed: \(error)", fullRejoin: true)
        }
    }

    static func fingerprints(_ description: SessionDescription) -> [String] {
        guard let section = description.media.first(where: { !$0.isRejected }) else { return [] }
        return description.fingerprints(for: section).map { "\($0)" }
    }

    func remoteTrackAdded(_ track: RemoteAudioTrack) {
        let trackSid = track.trackID ?? midToTrackSid[track.mid] ?? track.mid
        let participantSid = track.streamID.map { String($0.split(separator: "|").first ?? Substring($0)) } ?? ""
        let owner = remoteParticipants[participantSid]
            ?? remoteParticipants.values.first { $0.tracks[trackSid] != nil }
            ?? (participantSid == localParticipant?.sid ? localParticipant : nil)  // a test SFU may echo us
        let info = RemoteAudioTrackInfo(
            trackSid: trackSid, participantSid: owner?.sid ?? participantSid,
            participantIdentity: owner?.identity ?? "", mid: track.mid)
        subscribedTracks[track.mid] = info
        trackDirectory.withLock { $0[track.trackID ?? track.mid] = info }
        eventSink.yield(.trackSubscribed(info))
    }

    func remoteTrackEnded(_ track: RemoteAudioTrack) {
        guard let info = subscribedTracks.removeValue(forKey: track.mid) else { return }
        trackDirectory.withLock { _ = $0.removeValue(forKey: track.trackID ?? track.mid) }
        eventSink.yield(.trackUnsubscribed(info))
    }

    // MARK: - Publisher

    /// Sends a publisher offer: data channels always (the server needs `_reliable`/`_lossy`),
    /// audio when a track is attached. Renegotiates if one is in flight already.
    func negotiatePublisher() throws(LiveKitConnectError) {
        guard let pc = publisher, let client = signal else { return }
        if publisherNegotiating {
            publisherNeedsRenegotiation = true
            return
        }
        do {
            let offer = try pc.createOffer()
            try pc.setLocalDescription(offer)
            publisherOfferID += 1
            var description = Livekit_SessionDescription()
            description.type = "offer"
            description.sdp = offer.sdp
            description.id = publisherOfferID
            var request = Livekit_SignalRequest()
            request.offer = description
            publisherNegotiating = true
            client.send(request)
            publisherCandidates.open { [weak self, weak client] candidate in
                guard let self, let client else { return }
                self.sendTrickle(candidate, target: .publisher, on: client)
            }
        } catch {
            throw .transport("cannot create the publisher offer: \(error)")
        }
    }

    func handlePublisherAnswer(_ answer: Livekit_SessionDescription) {
        guard let pc = publisher else { return }
        do {
            try pc.setRemoteDescription(TypedSessionDescription(type: .answer, sdp: answer.sdp))
        } catch {
            logger.error("cannot apply the server's answer", metadata: ["error": "\(error)"])
            return
        }
        publisherNegotiating = false
        if !publisherNegotiated {
            publisherNegotiated = true
            openOutboundChannels()
        }
        if publisherNeedsRenegotiation {
            publisherNeedsRenegotiation = false
            try? negotiatePublisher()
        }
    }

    // MARK: - Publishing audio

    /// `AddTrackRequest` → `TrackPublishedResponse` (§4 "Publishing a track"), before the
    /// publisher's first offer so that offer carries the track.
    func publishAudioBeforeOffer(name: String) async throws(LiveKitConnectError) {
        let track = localAudio?.track ?? LocalAudioTrack(id: "TR_" + Self.randomID(12), streamID: localParticipant?.sid ?? "parley")
        let cid = track.id
        localAudio = (track, name, cid, nil)
        let info = try await requestPublication(cid: cid, name: name)
        localAudio?.sid = info.sid
        do {
            try publisher?.addTrack(track)
        } catch {
            throw .transport("cannot add the audio track: \(error)")
        }
    }

    /// Publishes a microphone track after joining (renegotiates the publisher connection).
    public func publishAudio(name: String = "parley-agent") async throws(LiveKitConnectError) -> LocalAudioTrack {
        if let existing = localAudio?.track { return existing }
        try await publishAudioBeforeOffer(name: name)
        try negotiatePublisher()
        return localAudio!.track
    }

    func requestPublication(cid: String, name: String) async throws(LiveKitConnectError) -> Livekit_TrackInfo {
        var add = Livekit_AddTrackRequest()
        add.cid = cid
        add.name = name
        add.type = .audio
        add.source = .microphone
        add.disableRed = true  // plain Opus only (§4 "RED")
        add.audioFeatures = [.tfNoDtx]
        var request = Livekit_SignalRequest()
        request.addTrack = add
        guard let client = signal else { throw .closed }
        let timeout = options.trackPublishTimeout
        do {
            return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Livekit_TrackInfo, any Error>) in
                pendingPublications[cid] = continuation
                client.send(request)
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    await self?.failPublication(cid: cid)
                }
            }
        } catch let error as LiveKitConnectError {
            throw error
        } catch {
            throw .protocolViolation("\(error)")
        }
    }

    func failPublication(cid: String) {
        pendingPublications.removeValue(forKey: cid)?.resume(throwing: LiveKitConnectError.timeout(step: "track publication (TrackPublishedResponse)"))
    }

    static func randomID(_ length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<length).map { _ in alphabet.randomElement()! })
    }
}

extension Livekit_ICEServer {
    /// STUN servers with literal addresses (`stun:1.2.3.4:3478`). Host names would need a DNS
    /// lookup on the join path and TURN is not implemented (see `ICEServer`): both are skipped.
    var stunServers: [ICEServer] {
        urls.compactMap { url in
            guard url.hasPrefix("stun:") else { return nil }
            let rest = url.dropFirst(5).split(separator: "?").first.map(String.init) ?? ""
            guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]),
                let address = IPAddress(String(rest[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
            else { return nil }
            return .stun(TransportAddress(address: address, port: port))
        }
    }
}
