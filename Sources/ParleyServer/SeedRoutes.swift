// SPDX-License-Identifier: Apache-2.0

import Foundation
import Hummingbird

/// Seed 004's routes with its exact field names, so its frontend works unchanged:
/// `POST /session` {userIdentity, roomName?, agentConfig?} → {userToken, roomName, livekitUrl,
/// agentDispatched, agentConfig}; `POST /session/end` {roomName} → 204, or 404 when unknown.
struct Seed004Routes {
    let service: SessionService

    struct CreateView: Encodable {
        var userToken: String
        var roomName: String
        var livekitUrl: String
        var agentDispatched: Bool
        var agentConfig: [String: JSONValue]
    }

    /// The keys seed 004 echoes back in `agentConfig`.
    static let echoedKeys: Set<String> = ["stt", "tts", "llm", "realtime"]

    func register(on router: some RouterMethods<ServerRequestContext>) {
        router.post("session") { request, context in try await create(request, context) }
        router.post("session/end") { request, context in try await end(request, context) }
    }

    func create(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var request = request
        let body = try await request.jsonObject(limit: service.config.maxBodyBytes)
        try body.rejectUnknown(allowed: ["userIdentity", "roomName", "agentConfig"])
        let identity = try body.requireString("userIdentity")
        guard Identifier.isValid(identity) else {
            throw APIError(.unprocessableContent, "invalid_identity",
                           "userIdentity must be 1-128 characters of A-Z a-z 0-9 _ -", details: ["userIdentity"])
        }
        let roomName = try body.string("roomName")
        if let roomName, !Identifier.isValid(roomName) {
            throw APIError.invalid("roomName", "must be 1-128 characters of A-Z a-z 0-9 _ -")
        }
        let overrides = try body.object("agentConfig").map(AgentConfigValidator.validate) ?? [:]
        guard let profile = service.config.seedProfileName else {
            throw APIError(.notFound, "agent_not_found", "no agent profile is configured")
        }
        let created = try await service.create(.init(owner: principal, participantIdentity: identity, profile: profile,
                                                     roomName: roomName, overrides: overrides, origin: "seed004"))
        return try JSONResponse.make(CreateView(
            userToken: created.participantToken, roomName: created.session.roomName, livekitUrl: created.livekitURL,
            agentDispatched: created.session.dispatchID != nil,
            agentConfig: created.effectiveConfig.filter { Self.echoedKeys.contains($0.key) }))
    }

    func end(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var request = request
        let body = try await request.jsonObject(limit: service.config.maxBodyBytes)
        let roomName = try body.requireString("roomName")
        guard let session = try await service.activeSession(roomName: roomName) else {
            throw APIError(.notFound, "session_not_found", "no active session in room \(roomName)")
        }
        guard session.owner == principal.id else { throw APIError.forbidden }
        _ = try await service.end(session, reason: "ended_by_user")
        return Response(status: .noContent)
    }
}

/// Seed 000's route: `POST /api/video/create-room` {counselor_category} → {room_url, access_token,
/// room_name, session_id}; 404 for an unknown or disabled category. The category is a profile
/// name or a profile's `category_id`; the room is `video-<session uuid>`, the mode video.
struct Seed000Routes {
    let service: SessionService

    struct CreateView: Encodable {
        var room_url: String
        var access_token: String
        var room_name: String
        var session_id: String
    }

    func register(on router: some RouterMethods<ServerRequestContext>) {
        router.post("api/video/create-room") { request, context in try await create(request, context) }
    }

    func create(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var request = request
        let body = try await request.jsonObject(limit: service.config.maxBodyBytes)
        try body.rejectUnknown(allowed: ["counselor_category"])
        let category = try body.requireString("counselor_category")
        guard !category.isEmpty, category.utf8.count <= 128 else {
            throw APIError.invalid("counselor_category", "must be 1-128 characters")
        }
        let id = UUID().uuidString.lowercased()
        let created = try await service.create(.init(owner: principal, participantIdentity: principal.id,
                                                     profile: category, mode: .video, origin: "seed000",
                                                     sessionID: id, roomPrefix: "video-"))
        // The seed answers with the http(s) form of the LiveKit URL.
        let url = created.livekitURL.replacingOccurrences(of: "wss://", with: "https://")
            .replacingOccurrences(of: "ws://", with: "http://")
        return try JSONResponse.make(CreateView(room_url: url, access_token: created.participantToken,
                                                room_name: created.session.roomName, session_id: created.session.id))
    }
}
