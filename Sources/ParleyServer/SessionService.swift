// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyLiveKit

/// Creates, inspects, lists and ends agent sessions: the LiveKit side (room, participant token,
/// agent dispatch) and the store side, kept consistent. A create either fully succeeds or leaves
/// nothing behind: any failure after the room exists deletes the room and writes no row.
public struct SessionService: Sendable {
    public struct CreateRequest: Sendable {
        public var owner: Principal
        public var participantIdentity: String
        public var profile: String
        public var mode: SessionRecord.Mode
        public var roomName: String?
        /// Validated agent_config overrides (SessionOverrides keys only).
        public var overrides: [String: JSONValue]
        public var origin: String
        /// A caller-chosen session id (seed 000 uses UUIDs); a fresh `ses_…` id otherwise.
        public var sessionID: String?
        /// Used as `PREFIX<session id>` when no room name is given (default `parley-<random>`).
        public var roomPrefix: String?

        public init(owner: Principal, participantIdentity: String, profile: String, mode: SessionRecord.Mode = .voice,
                    roomName: String? = nil, overrides: [String: JSONValue] = [:], origin: String = "v1",
                    sessionID: String? = nil, roomPrefix: String? = nil) {
            self.sessionID = sessionID
            self.roomPrefix = roomPrefix
            self.owner = owner
            self.participantIdentity = participantIdentity
            self.profile = profile
            self.mode = mode
            self.roomName = roomName
            self.overrides = overrides
            self.origin = origin
        }
    }

    public struct Created: Sendable {
        public var session: SessionRecord
        public var participantToken: String
        public var livekitURL: String
        public var effectiveConfig: [String: JSONValue]
    }

    /// What LiveKit says about a session's room right now (nil fields: LiveKit did not answer).
    public struct LiveStatus: Sendable {
        public var participants: [String]?
        public var agentConnected: Bool?
    }

    public let config: ServerConfig
    public let store: any SessionStore
    public let rooms: RoomServiceClient
    public let dispatch: AgentDispatchClient
    public var logger: Logger
    /// Where the service's counters go (nothing by default; `parley serve` passes its registry).
    public var metrics: ServerMetrics

    public init(config: ServerConfig, store: any SessionStore, twirp: TwirpClient,
                logger: Logger = Logger(label: "parley.server"), metrics: ServerMetrics = .disabled) {
        self.config = config
        self.store = store
        rooms = RoomServiceClient(twirp)
        dispatch = AgentDispatchClient(twirp)
        self.logger = logger
        self.metrics = metrics
    }

    static func newID(prefix: String) -> String {
        prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
    }

    static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    func profile(named name: String) throws(APIError) -> SessionAgentProfile {
        guard let p = config.profiles[name] ?? config.profiles.values.first(where: { $0.categoryID == name }), p.enabled
        else {
            throw APIError(.notFound, "agent_not_found", "no enabled agent profile \"\(name)\"")
        }
        return p
    }

    /// Profile defaults with the request's overrides on top.
    static func merge(_ base: [String: JSONValue], _ overrides: [String: JSONValue]) -> [String: JSONValue] {
        base.merging(overrides) { _, new in new }
    }

    static func jsonText(_ config: [String: JSONValue]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(config)) ?? Data("{}".utf8), as: UTF8.self)
    }

    public func create(_ request: CreateRequest) async throws(APIError) -> Created {
        let profile = try profile(named: request.profile)
        if let room = request.roomName {
            let existing: SessionRecord?
            do { existing = try await store.activeSession(roomName: room) } catch { throw storeError(error, "lookup") }
            if existing != nil {
                throw APIError(.conflict, "room_in_use", "room \(room) already has an active session")
            }
        }
        let id = request.sessionID ?? Self.newID(prefix: "ses_")
        let roomName = request.roomName ?? request.roomPrefix.map { $0 + id } ?? Self.newID(prefix: "parley-")
        let merged = Self.merge(profile.baseConfig, request.overrides)
        let metadata = Self.jsonText(merged)
        var log = logger
        log[metadataKey: "session_id"] = "\(id)"
        log[metadataKey: "user_id"] = "\(request.owner.id)"
        log[metadataKey: "room"] = "\(roomName)"

        // 1. The room.
        let roomInfo: RoomInfo
        do throws(LiveKitAPIError) {
            roomInfo = try await rooms.createRoom(name: roomName, emptyTimeout: config.emptyTimeoutSeconds,
                                           departureTimeout: config.departureTimeoutSeconds,
                                           maxParticipants: UInt32(profile.maxParticipants ?? config.maxParticipants),
                                           metadata: Self.jsonText(["session_id": .string(id),
                                                                    "profile": .string(profile.name)]))
        } catch {
            log.warning("CreateRoom failed", metadata: ["code": "\(error.code)"])
            metrics.livekitError("CreateRoom", error)
            // A timeout may have created it anyway.
            if error.transportFailure?.kind == .timedOut { await cleanUp(roomName, log) }
            throw APIError.livekit(error, during: "CreateRoom")
        }

        // 2. The caller's token: join this room, publish audio (and camera for video), subscribe, data.
        let nowS = Int64(Date().timeIntervalSince1970)
        var token = AccessToken(apiKey: config.livekit.apiKey, apiSecret: config.livekit.apiSecret,
                                identity: request.participantIdentity)
        token.ttl = config.tokenTTLSeconds
        token.video = VideoGrant(roomJoin: true, room: roomName, canPublish: true, canSubscribe: true,
                                 canPublishData: true,
                                 canPublishSources: request.mode == .video ? ["microphone", "camera"] : ["microphone"])
        let jwt: String
        do { jwt = try token.jwt(now: nowS) } catch {
            log.error("cannot mint participant token", metadata: ["reason": "\(error)"])
            await cleanUp(roomName, log)
            throw APIError.internal
        }

        // 3. The agent.
        let dispatched: AgentDispatch
        do throws(LiveKitAPIError) {
            dispatched = try await dispatch.createDispatch(room: roomName, agentName: profile.agentName, metadata: metadata)
        } catch {
            log.warning("CreateDispatch failed; deleting the room", metadata: ["code": "\(error.code)"])
            metrics.livekitError("CreateDispatch", error)
            await cleanUp(roomName, log)
            throw APIError.livekit(error, during: "CreateDispatch")
        }

        // 4. The row, in one transaction.
        let record = SessionRecord(id: id, owner: request.owner.id, roomName: roomName,
                                   participantIdentity: request.participantIdentity, profile: profile.name,
                                   agentName: profile.agentName, mode: request.mode, dispatchID: dispatched.id,
                                   configJSON: metadata, createdAtMs: nowS * 1000 + Self.nowMs() % 1000,
                                   tokenExpiresAtMs: (nowS + config.tokenTTLSeconds) * 1000, origin: request.origin,
                                   roomSID: roomInfo.sid.isEmpty ? nil : roomInfo.sid)
        do {
            try await store.insert(record)
        } catch {
            log.error("store insert failed; deleting the room", metadata: ["reason": "\(error)"])
            await cleanUp(roomName, log)
            if case SessionStoreError.roomInUse = error {
                throw APIError(.conflict, "room_in_use", "room \(roomName) already has an active session")
            }
            throw APIError.storeUnavailable
        }
        metrics.sessionCreated(origin: request.origin)
        log.info("session created", metadata: ["profile": "\(profile.name)", "agent": "\(profile.agentName)",
                                               "dispatch_id": "\(dispatched.id)", "origin": "\(request.origin)"])
        return Created(session: record, participantToken: jwt, livekitURL: config.livekit.url, effectiveConfig: merged)
    }

    /// Deletes a room outside the caller's task, so a cancelled request still cleans up.
    private func cleanUp(_ room: String, _ log: Logger) async {
        let rooms = rooms
        let metrics = metrics
        let ok = await Task {
            do throws(LiveKitAPIError) {
                try await rooms.deleteRoom(room)
                return true
            } catch {
                if error.code != .notFound { metrics.livekitError("DeleteRoom", error) }
                return error.code == .notFound
            }
        }.value
        if ok { log.info("room deleted after failed create") } else { log.error("could not delete room after failed create") }
    }

    private func storeError(_ error: any Error, _ op: String) -> APIError {
        logger.error("session store failed", metadata: ["op": "\(op)", "reason": "\(error)"])
        return APIError(.serviceUnavailable, "store_unavailable", "the session store is unavailable")
    }

    /// The session if `principal` owns it: 404 unknown, 403 someone else's.
    public func get(id: String, for principal: Principal) async throws(APIError) -> SessionRecord {
        let found: SessionRecord?
        do { found = try await store.get(id: id) } catch { throw storeError(error, "get") }
        guard let found else { throw APIError.sessionNotFound(id) }
        guard found.owner == principal.id else { throw APIError.forbidden }
        return found
    }

    public func list(for principal: Principal, includeEnded: Bool = false, limit: Int = 100) async throws(APIError)
        -> [SessionRecord] {
        do { return try await store.list(owner: principal.id, includeEnded: includeEnded, limit: limit) } catch {
            throw storeError(error, "list")
        }
    }

    /// Participants in the session's room per LiveKit; nil fields when it cannot be asked.
    public func liveStatus(of session: SessionRecord) async -> LiveStatus {
        guard session.status == .active else { return LiveStatus(participants: [], agentConnected: false) }
        do throws(LiveKitAPIError) {
            let people = try await rooms.listParticipants(room: session.roomName)
            return LiveStatus(participants: people.map(\.identity), agentConnected: people.contains {
                $0.kind == .agent || $0.identity.hasPrefix(WebhookVerifier.agentIdentityPrefix)
            })
        } catch {
            if error.code == .notFound { return LiveStatus(participants: [], agentConnected: false) }
            metrics.livekitError("ListParticipants", error)
            return LiveStatus(participants: nil, agentConnected: nil)
        }
    }

    /// Ends the session: deletes the room (already gone is fine) and records the reason. Ending an
    /// ended session returns it unchanged.
    public func end(id: String, for principal: Principal, reason: String) async throws(APIError) -> SessionRecord {
        let session = try await get(id: id, for: principal)
        return try await end(session, reason: reason)
    }

    public func end(_ session: SessionRecord, reason: String) async throws(APIError) -> SessionRecord {
        guard session.status == .active else { return session }
        var log = logger
        log[metadataKey: "session_id"] = "\(session.id)"
        log[metadataKey: "user_id"] = "\(session.owner)"
        log[metadataKey: "room"] = "\(session.roomName)"
        do throws(LiveKitAPIError) {
            try await rooms.deleteRoom(session.roomName)
        } catch where error.code == .notFound {
            log.info("room already gone")
        } catch {
            log.warning("DeleteRoom failed; session stays active", metadata: ["code": "\(error.code)"])
            metrics.livekitError("DeleteRoom", error)
            throw APIError.livekit(error, during: "DeleteRoom")
        }
        let ended: SessionRecord?
        let endedAt = Self.nowMs()
        do { ended = try await store.markEnded(id: session.id, reason: reason, atMs: endedAt) } catch {
            throw storeError(error, "end")
        }
        guard let ended else { throw APIError.sessionNotFound(session.id) }
        if ended.endedAtMs == endedAt, ended.endReason == reason { metrics.sessionEnded(reason: reason) }
        log.info("session ended", metadata: ["reason": "\(ended.endReason ?? reason)"])
        return ended
    }

    /// For `POST /session/end` (seed 004): the caller's active session in `roomName`.
    public func activeSession(roomName: String) async throws(APIError) -> SessionRecord? {
        do { return try await store.activeSession(roomName: roomName) } catch { throw storeError(error, "lookup") }
    }

    /// /readyz: the store answers and LiveKit's API answers.
    public func readiness() async -> (store: Bool, livekit: Bool) {
        async let storeOK: Bool = { do { try await store.ping(); return true } catch { return false } }()
        let lkOK: Bool
        do {
            _ = try await rooms.listRooms(names: ["parley-readyz-probe"])
            lkOK = true
        } catch {
            metrics.livekitError("ListRooms", error)
            lkOK = false
        }
        return (await storeOK, lkOK)
    }
}
