// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyLiveKitProto
import ParleyWebRTC

/// Server-to-client signal messages (livekit-protocol.md §3 "Other server-to-client messages").
/// Unknown cases are ignored, as the protocol asks.
extension Room {
    func handle(_ response: Livekit_SignalResponse, from client: SignalClient) async {
        guard client === signal, connectionState != .disconnected else { return }
        switch response.message {
        case .join(let join)?:
            handleJoin(join)
        case .reconnect(let reconnect)?:
            resumeAccepted = true
            resendReliable(after: reconnect.lastMessageSeq)
        case .offer(let offer)?:
            handleSubscriberOffer(offer)
        case .answer(let answer)?:
            handlePublisherAnswer(answer)
        case .trickle(let trickle)?:
            handleTrickle(trickle)
        case .update(let update)?:
            for info in update.participants { apply(info) }
        case .trackPublished(let published)?:
            pendingPublications.removeValue(forKey: published.cid)?.resume(returning: published.track)
        case .trackUnpublished(let unpublished)?:
            logger.info("server unpublished our track", metadata: ["track": "\(unpublished.trackSid)"])
        case .leave(let leave)?:
            await handleLeave(leave)
        case .speakersChanged(let change)?:
            for speaker in change.speakers {
                activeSpeakers.removeAll { $0 == speaker.sid }
                if speaker.active { activeSpeakers.append(speaker.sid) }
            }
            eventSink.yield(.activeSpeakersChanged(activeSpeakers))
        case .roomUpdate(let update)?:
            roomInfo = update.room
        case .refreshToken(let fresh)?:
            // Used for the next resume or re-join: the join token may have expired by then.
            token = fresh
        case .requestResponse(let reply)?:
            if reply.reason != .ok {
                logger.warning("server refused a request", metadata: [
                    "request": "\(reply.requestID)", "reason": "\(reply.reason)", "message": "\(reply.message)",
                ])
            }
        case .mute(let mute)?:
            logger.info("server muted our track", metadata: ["track": "\(mute.sid)", "muted": "\(mute.muted)"])
        case .pong?, .pongResp?:
            break  // SignalClient measured the RTT already
        default:
            break
        }
    }

    /// The JoinResponse: the connections are created here, before the next message (the
    /// server's first offer follows immediately) is handled.
    func handleJoin(_ join: Livekit_JoinResponse) {
        self.join = join
        roomInfo = join.room
        localParticipant = Participant(join.participant)
        for info in join.otherParticipants { apply(info, announce: connectionState == .connected) }
        startKeepalive(join)
        createPeerConnections()
        startInboundLoop()
    }

    /// A ParticipantInfo from a join or update: add, change or remove the participant.
    func apply(_ info: Livekit_ParticipantInfo, announce: Bool = true) {
        if info.sid == localParticipant?.sid || info.identity == localParticipant?.identity {
            if info.sid == localParticipant?.sid { localParticipant = Participant(info) }
            return
        }
        let participant = Participant(info)
        if info.state == .disconnected {
            if remoteParticipants.removeValue(forKey: info.sid) != nil { eventSink.yield(.participantLeft(participant)) }
            return
        }
        let previous = remoteParticipants.updateValue(participant, forKey: info.sid)
        trackDirectory.withLock { directory in
            for sid in participant.tracks.keys where directory[sid] != nil {
                directory[sid]?.participantIdentity = participant.identity
            }
        }
        if previous == nil {
            eventSink.yield(.participantJoined(participant))
        } else if previous != participant {
            eventSink.yield(.participantUpdated(participant))
        }
    }

    func handleLeave(_ leave: Livekit_LeaveRequest) async {
        let reason = "\(leave.reason)"
        switch leave.action {
        case .resume:
            logger.info("server asked us to resume", metadata: ["reason": "\(reason)"])
            signal?.close(reason: .closedByServer(code: nil, reason: "leave request (resume)"))
        case .reconnect:
            logger.info("server asked for a full re-join", metadata: ["reason": "\(reason)"])
            rejoinRequested = true
            beginReconnect(reason: "server asked to reconnect (\(reason))", fullRejoin: true)
        default:
            await shutdown(error: .removed(reason: reason), notify: true)
        }
    }

    /// Trickled server candidates (§4 "Trickle"): JSON RTCIceCandidateInit, for the PC named by `target`.
    func handleTrickle(_ trickle: Livekit_TrickleRequest) {
        let pc = trickle.target == .subscriber ? subscriber : publisher
        guard let pc else { return }
        guard let candidate = ICECandidateInit(json: trickle.candidateInit) else {
            logger.warning("ignoring a trickle candidate that is not RTCIceCandidateInit JSON")
            return
        }
        do {
            try pc.addIceCandidate(candidate)
            if trickle.final { try pc.addIceCandidate(ICECandidateInit(candidate: "")) }
        } catch {
            logger.warning("remote candidate refused", metadata: ["error": "\(error)"])
        }
    }

    nonisolated func sendTrickle(_ candidate: ICECandidateInit, target: Livekit_SignalTarget, on client: SignalClient) {
        var trickle = Livekit_TrickleRequest()
        trickle.candidateInit = candidate.json
        trickle.target = target
        trickle.final = candidate.isEndOfCandidates
        var request = Livekit_SignalRequest()
        request.trickle = trickle
        client.send(request)
    }
}

extension ICECandidateInit {
    /// W3C RTCIceCandidateInit JSON, as TrickleRequest carries it.
    init?(json: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
            let candidate = object["candidate"] as? String
        else { return nil }
        self.init(
            candidate: candidate, sdpMid: object["sdpMid"] as? String,
            sdpMLineIndex: (object["sdpMLineIndex"] as? NSNumber)?.intValue,
            usernameFragment: object["usernameFragment"] as? String)
    }

    var json: String {
        var object: [String: Any] = ["candidate": candidate]
        object["sdpMid"] = sdpMid ?? "0"
        object["sdpMLineIndex"] = sdpMLineIndex ?? 0
        if let usernameFragment { object["usernameFragment"] = usernameFragment }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
