// SPDX-License-Identifier: Apache-2.0

import Foundation
import Hummingbird

/// `/v1/sessions`: create, list, inspect, end. All behind `AuthMiddleware`; every session route
/// checks ownership.
struct SessionRoutes {
    let service: SessionService

    static let createKeys = ["mode", "agent", "room_name", "agent_config"]

    func register(on group: RouterGroup<ServerRequestContext>) {
        group.post("sessions") { request, context in try await create(request, context) }
        group.get("sessions") { request, context in try await list(request, context) }
        group.get("sessions/{id}") { request, context in try await get(request, context) }
        group.delete("sessions/{id}") { request, context in try await end(request, context) }
    }

    func create(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var request = request
        let body = try await request.jsonObject(limit: service.config.maxBodyBytes)
        try body.rejectUnknown(allowed: Self.createKeys)
        let mode: SessionRecord.Mode
        if let m = try body.string("mode") {
            guard let parsed = SessionRecord.Mode(rawValue: m) else {
                throw APIError.invalid("mode", "must be one of voice, video")
            }
            mode = parsed
        } else {
            mode = .voice
        }
        let agent = try body.requireString("agent")
        let roomName = try body.string("room_name")
        if let roomName, !Identifier.isValid(roomName) {
            throw APIError.invalid("room_name", "must be 1-128 characters of A-Z a-z 0-9 _ -")
        }
        let overrides = try body.object("agent_config").map(AgentConfigValidator.validate) ?? [:]
        let created = try await service.create(.init(owner: principal, participantIdentity: principal.id, profile: agent,
                                                     mode: mode, roomName: roomName, overrides: overrides))
        return try JSONResponse.make(CreatedSessionView(created), status: .created)
    }

    func list(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let includeEnded = request.uri.queryParameters.get("include_ended").map { $0 == "true" || $0 == "1" } ?? false
        var limit = 100
        if let text = request.uri.queryParameters.get("limit") {
            guard let n = Int(text), (1...500).contains(n) else { throw APIError.invalid("limit", "must be 1-500") }
            limit = n
        }
        let sessions = try await service.list(for: principal, includeEnded: includeEnded, limit: limit)
        return try JSONResponse.make(SessionListView(sessions: sessions.map { SessionView($0) }))
    }

    func get(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try context.parameters.require("id")
        let session = try await service.get(id: id, for: principal)
        let live = await service.liveStatus(of: session)
        return try JSONResponse.make(SessionView(session, live: live, reported: await service.reportedParticipants(of: session)))
    }

    func end(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try context.parameters.require("id")
        let reason = request.uri.queryParameters.get("reason").map { String($0) } ?? "ended_by_user"
        guard Identifier.isValid(reason, maxLength: 64) else {
            throw APIError.invalid("reason", "must be 1-64 characters of A-Z a-z 0-9 _ -")
        }
        let ended = try await service.end(id: id, for: principal, reason: reason)
        return try JSONResponse.make(SessionView(ended))
    }
}
