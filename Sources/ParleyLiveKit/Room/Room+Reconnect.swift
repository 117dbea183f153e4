// SPDX-License-Identifier: Apache-2.0

import ParleyLiveKitProto

/// Resume and re-join (livekit-protocol.md §3 "Resume", "Leave").
///
///     connected ──signal lost / ping timeout / PC failed / Leave{RESUME}──► reconnecting
///        ▲                                                                     │
///        │◄── resumed: ReconnectResponse, ICE restart on both PCs ─────────────┤ (within resumeWindow)
///        │◄── re-joined: new JoinResponse, new PCs, track re-published ────────┤ Leave{RECONNECT}, unknown sid,
///        │                                                                     │ or resume window over
///     disconnected ◄── 401 / Leave{DISCONNECT} / rejoinWindow over ────────────┘
extension Room {
    func signalEnded(_ client: SignalClient) {
        guard client === signal, connectionState != .disconnected else { return }
        let reason = client.endReason ?? .failed("closed")
        if case .closedLocally = reason { return }
        beginReconnect(reason: reason.description, fullRejoin: false)
    }

    func beginReconnect(reason: String, fullRejoin: Bool) {
        guard connectionState != .disconnected, !leaving else { return }
        if fullRejoin { rejoinRequested = true }
        guard reconnectTask == nil else { return }
        connectionState = .reconnecting
        logger.warning("connection lost; reconnecting", metadata: ["reason": "\(reason)"])
        eventSink.yield(.reconnecting(reason: reason))
        subscriberCandidates.close()
        publisherCandidates.close()
        reconnectTask = Task { [weak self] in
            await self?.runReconnect()
        }
    }

    func runReconnect() async {
        defer { reconnectTask = nil }
        let clock = ContinuousClock()
        let delays: [Duration] = [.zero, .milliseconds(300), .milliseconds(600), .seconds(1), .seconds(2)]
        var attempt = 0
        var lastError: LiveKitConnectError = .timeout(step: "reconnect")
        let resumeDeadline = clock.now + options.resumeWindow
        while !rejoinRequested, clock.now < resumeDeadline, !Task.isCancelled {
            try? await Task.sleep(for: delays[min(attempt, delays.count - 1)])
            attempt += 1
            do {
                try await resume()
                connectionState = .connected
                logger.info("resumed", metadata: ["attempts": "\(attempt)"])
                eventSink.yield(.reconnected(fullRejoin: false))
                return
            } catch {
                lastError = error
                logger.warning("resume attempt failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                if !error.isRetryable { break }
            }
        }
        if case .unauthorized = lastError {
            await shutdown(error: lastError, notify: true)
            return
        }
        attempt = 0
        let rejoinDeadline = clock.now + options.rejoinWindow
        while clock.now < rejoinDeadline, !Task.isCancelled, connectionState != .disconnected {
            try? await Task.sleep(for: delays[min(attempt, delays.count - 1)])
            attempt += 1
            do {
                try await rejoin()
                rejoinRequested = false
                logger.info("re-joined", metadata: ["attempts": "\(attempt)"])
                eventSink.yield(.reconnected(fullRejoin: true))
                return
            } catch {
                lastError = error
                logger.warning("re-join attempt failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                if !error.isRetryable { break }
            }
        }
        await shutdown(error: lastError, notify: true)
    }

    /// `reconnect=1&sid=`: same participant, same connections, ICE restarted.
    func resume() async throws(LiveKitConnectError) {
        guard let sid = localParticipant?.sid, let join else { throw .protocolViolation("nothing to resume") }
        signal?.close()
        var query = SignalQuery()
        query.autoSubscribe = options.autoSubscribe
        query.resumeSid = sid
        query.reconnectReason = Livekit_ReconnectReason.rrSignalDisconnected.rawValue
        let client = try await SignalClient.connect(
            url: url, token: token, query: query, timeout: options.signalTimeout, logger: logger)
        attach(client)
        try await waitUntil(options.signalTimeout, step: "reconnect response") { room in
            room.resumeAccepted || room.rejoinRequested || client.endReason != nil
        }
        if rejoinRequested { throw .rejected(status: 409, reason: "the server no longer knows this participant") }
        if let end = client.endReason { throw .unreachable("\(end)") }
        startKeepalive(join)
        if publisherNegotiated, let publisher {
            publisher.restartIce()
            publisherNegotiating = false
            try negotiatePublisher()
        }
        try await waitUntil(options.connectTimeout, step: "media after resume") { room in
            room.subscriber?.state == .connected && (room.publisher?.state == .connected || !room.publisherNegotiated)
        }
    }

    /// A fresh join with the same token (refreshed if the server sent one): new participant sid,
    /// new connections, the same local audio track re-published.
    func rejoin() async throws(LiveKitConnectError) {
        signal?.close()
        closePeerConnections()
        join = nil
        midToTrackSid = [:]
        incomingStreams.reset()
        reliableHistory = []
        heldPackets = []
        lastSeenSequence = [:]
        for participant in remoteParticipants.values { eventSink.yield(.participantLeft(participant)) }
        remoteParticipants = [:]
        localAudio?.sid = nil
        try await performJoin(announce: false)
    }
}
