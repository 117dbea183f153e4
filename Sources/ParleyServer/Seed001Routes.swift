// SPDX-License-Identifier: Apache-2.0

import Foundation
import Hummingbird
import ParleyLiveKit

/// Seed 001's voice-session routes with its exact field names (`backend/app/api/v1/endpoints/
/// voice_sessions.py`), so its frontend works unchanged:
///
/// - `POST /api/v1/voice-sessions/start` {agent_type = "general"} → {room_name, token, livekit_url,
///   agent_type, expires_at}; the room is `fitness-voice-<user>-<8 hex>` (prefix configurable), the
///   agent type names a profile (404 when unknown or disabled).
/// - `GET /api/v1/voice-sessions/{room_name}/status` → {room_name, active, participants, agent_connected,
///   created_at}; `active` means someone is in the room, as in the seed.
/// - `DELETE /api/v1/voice-sessions/{room_name}` → {status: "ended", room_name}.
/// - `GET /api/v1/voice-sessions/active` → {sessions: [{room_name, agent_type, participants, created_at}]}.
///
/// 404 for an unknown (or already ended) room, 403 for someone else's.
struct Seed001Routes {
    let service: SessionService

    struct StartView: Encodable {
        var room_name: String
        var token: String
        var livekit_url: String
        var agent_type: String
        var expires_at: String
    }

    struct StatusView: Encodable {
        var room_name: String
        var active: Bool
        var participants: Int
        var agent_connected: Bool
        var created_at: String?
    }

    struct EndView: Encodable {
        var status: String
        var room_name: String
    }

    struct ActiveView: Encodable {
        struct Item: Encodable {
            var room_name: String
            var agent_type: String?
            var participants: Int
            var created_at: String
        }
        var sessions: [Item]
    }

    static let defaultAgentType = "general"

    func register(on router: some RouterMethods<ServerRequestContext>) {
        router.post("api/v1/voice-sessions/start") { request, context in try await start(request, context) }
        router.get("api/v1/voice-sessions/active") { request, context in try await active(request, context) }
        router.get("api/v1/voice-sessions/{room_name}/status") { request, context in try await status(request, context) }
        router.delete("api/v1/voice-sessions/{room_name}") { request, context in try await end(request, context) }
    }

    /// `fitness-voice-<user>-<hex>`: the user id reduced to room-name characters (at most 48).
    static func roomName(prefix: String, user: String) -> String {
        let cleaned = String(user.unicodeScalars.prefix(48).map { s -> Character in
            let ok = (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "_" || s == "-"
            return ok ? Character(s) : "_"
        })
        let hex = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(8)
        return "\(prefix)-\(cleaned.isEmpty ? "user" : cleaned)-\(hex)"
    }

    func start(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let limit = service.config.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw APIError.tooLarge(limit: limit) }
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: limit) } catch {
            if let e = error as? any HTTPResponseError, e.status == .contentTooLarge { throw APIError.tooLarge(limit: limit) }
            throw APIError.malformedJSON("could not read the request body")
        }
        // Every field has a default, so an empty body is the default request.
        var requested: String?
        if buffer.readableBytes > 0 {
            let body = try JSONObjectReader(JSONTree.parse(Data(buffer: buffer)), path: "")
            try body.rejectUnknown(allowed: ["agent_type"])
            requested = try body.string("agent_type")
            if let requested, !Identifier.isValid(requested, maxLength: 64) {
                throw APIError.invalid("agent_type", "must be 1-64 characters of A-Z a-z 0-9 _ -")
            }
        }
        let profileName: String
        if let requested {
            profileName = requested
        } else if service.config.profiles[Self.defaultAgentType]?.enabled == true {
            profileName = Self.defaultAgentType
        } else if let fallback = service.config.seedProfileName {
            profileName = fallback
        } else {
            throw APIError(.notFound, "agent_not_found", "no agent profile is configured")
        }
        let created = try await service.create(.init(
            owner: principal, participantIdentity: principal.id, profile: profileName, mode: .voice,
            roomName: Self.roomName(prefix: service.config.seedVoiceRoomPrefix, user: principal.id), origin: "seed001"))
        return try JSONResponse.make(StartView(
            room_name: created.session.roomName, token: created.participantToken, livekit_url: created.livekitURL,
            agent_type: requested ?? Self.defaultAgentType, expires_at: JSONResponse.iso8601(ms: created.session.tokenExpiresAtMs)))
    }

    /// The caller's active session in the path's room: 404 unknown or ended, 403 someone else's.
    func ownedSession(_ context: ServerRequestContext) async throws -> SessionRecord {
        let principal = try context.requirePrincipal()
        let room = try context.parameters.require("room_name")
        guard Identifier.isValid(room) else { throw APIError.invalid("room_name", "must be 1-128 characters of A-Z a-z 0-9 _ -") }
        guard let session = try await service.activeSession(roomName: room) else {
            throw APIError(.notFound, "session_not_found", "no active session in room \(room)")
        }
        guard session.owner == principal.id else { throw APIError.forbidden }
        return session
    }

    /// Who is in the room: LiveKit's answer, or the webhook-reported participants when it cannot be asked.
    func presence(_ session: SessionRecord) async -> (count: Int, agent: Bool) {
        let live = await service.liveStatus(of: session)
        if let people = live.participants { return (people.count, live.agentConnected ?? false) }
        let reported = await service.reportedParticipants(of: session).filter(\.connected)
        return (reported.count, reported.contains { $0.isAgent })
    }

    func status(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let session = try await ownedSession(context)
        let (count, agent) = await presence(session)
        return try JSONResponse.make(StatusView(room_name: session.roomName, active: count > 0, participants: count,
                                                agent_connected: agent,
                                                created_at: JSONResponse.iso8601(ms: session.createdAtMs)))
    }

    func end(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let session = try await ownedSession(context)
        let ended = try await service.end(session, reason: "ended_by_user")
        return try JSONResponse.make(EndView(status: "ended", room_name: ended.roomName))
    }

    func active(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let sessions = try await service.list(for: principal, includeEnded: false, limit: 500)
        // One ListRooms for the participant counts; webhook-reported presence if LiveKit cannot answer.
        var counts: [String: Int]?
        if !sessions.isEmpty {
            do throws(LiveKitAPIError) {
                let rooms = try await service.rooms.listRooms(names: sessions.map(\.roomName))
                counts = Dictionary(rooms.map { ($0.name, Int($0.numParticipants)) }, uniquingKeysWith: { a, _ in a })
            } catch {
                service.metrics.livekitError("ListRooms", error)
            }
        }
        var items: [ActiveView.Item] = []
        for s in sessions {
            let participants: Int
            if let counts { participants = counts[s.roomName] ?? 0 } else {
                participants = await service.reportedParticipants(of: s).filter(\.connected).count
            }
            items.append(.init(room_name: s.roomName, agent_type: s.profile, participants: participants,
                               created_at: JSONResponse.iso8601(ms: s.createdAtMs)))
        }
        return try JSONResponse.make(ActiveView(sessions: items))
    }
}
