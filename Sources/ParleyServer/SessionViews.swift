// SPDX-License-Identifier: Apache-2.0

import Foundation

/// `POST /v1/sessions` → 201.
struct CreatedSessionView: Encodable {
    var sessionID: String
    var roomName: String
    var livekitURL: String
    var participantToken: String
    var participantIdentity: String
    var expiresAt: String
    var agentDispatched: Bool
    var agent: String
    var mode: String
    var config: [String: JSONValue]

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id", roomName = "room_name", livekitURL = "livekit_url"
        case participantToken = "participant_token", participantIdentity = "participant_identity"
        case expiresAt = "expires_at", agentDispatched = "agent_dispatched", agent, mode, config
    }

    init(_ c: SessionService.Created) {
        sessionID = c.session.id
        roomName = c.session.roomName
        livekitURL = c.livekitURL
        participantToken = c.participantToken
        participantIdentity = c.session.participantIdentity
        expiresAt = JSONResponse.iso8601(ms: c.session.tokenExpiresAtMs)
        agentDispatched = c.session.dispatchID != nil
        agent = c.session.profile
        mode = c.session.mode.rawValue
        config = configSummary(c.effectiveConfig)
    }
}

/// `GET /v1/sessions/{id}`, list items and `DELETE` answers. No token is ever stored or shown again.
struct SessionView: Encodable {
    var sessionID: String
    var status: String
    var roomName: String
    var agent: String
    var mode: String
    var participantIdentity: String
    var createdAt: String
    var tokenExpiresAt: String
    var endedAt: String?
    var endReason: String?
    var participants: [String]?
    var agentConnected: Bool?
    var config: [String: JSONValue]
    /// Participants as LiveKit webhooks reported them (GET only).
    var participantHistory: [ParticipantView]?

    struct ParticipantView: Encodable {
        var identity: String
        var kind: String
        var agent: Bool
        var connected: Bool
        var joined_at: String?
        var left_at: String?

        init(_ p: SessionParticipant) {
            identity = p.identity
            kind = p.kind
            agent = p.isAgent
            connected = p.connected
            joined_at = p.joinedAtMs.map(JSONResponse.iso8601(ms:))
            left_at = p.leftAtMs.map(JSONResponse.iso8601(ms:))
        }
    }

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id", status, roomName = "room_name", agent, mode
        case participantIdentity = "participant_identity", createdAt = "created_at"
        case tokenExpiresAt = "token_expires_at", endedAt = "ended_at", endReason = "end_reason", participants
        case agentConnected = "agent_connected", config, participantHistory = "participant_history"
    }

    /// `live` from LiveKit; when LiveKit could not be asked, the webhook-reported participants
    /// (`reported`) stand in for `participants` and `agent_connected`.
    init(_ s: SessionRecord, live: SessionService.LiveStatus? = nil, reported: [SessionParticipant]? = nil) {
        sessionID = s.id
        status = s.status.rawValue
        roomName = s.roomName
        agent = s.profile
        mode = s.mode.rawValue
        participantIdentity = s.participantIdentity
        createdAt = JSONResponse.iso8601(ms: s.createdAtMs)
        tokenExpiresAt = JSONResponse.iso8601(ms: s.tokenExpiresAtMs)
        endedAt = s.endedAtMs.map(JSONResponse.iso8601(ms:))
        endReason = s.endReason
        participants = live?.participants
        agentConnected = live?.agentConnected
        if let reported {
            participantHistory = reported.map(ParticipantView.init)
            if live != nil, participants == nil, s.status == .active {
                let connected = reported.filter(\.connected)
                participants = connected.map(\.identity)
                agentConnected = connected.contains { $0.isAgent }
            }
        }
        let stored = (try? JSONDecoder().decode([String: JSONValue].self, from: Data(s.configJSON.utf8))) ?? [:]
        config = configSummary(stored)
    }
}

struct SessionListView: Encodable {
    var sessions: [SessionView]
}
