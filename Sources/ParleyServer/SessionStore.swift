// SPDX-License-Identifier: Apache-2.0

/// Where sessions persist. Every method is one transaction: it happens entirely or not at all.
public protocol SessionStore: Sendable {
    /// Inserts a new active session. Throws `SessionStoreError.roomInUse` when another active
    /// session already has the room name, `.duplicateID` when the id exists.
    func insert(_ session: SessionRecord) async throws
    func get(id: String) async throws -> SessionRecord?
    /// The active session in `roomName`, if any.
    func activeSession(roomName: String) async throws -> SessionRecord?
    /// The owner's sessions, newest first; only active ones unless `includeEnded`.
    func list(owner: String, includeEnded: Bool, limit: Int) async throws -> [SessionRecord]
    /// All active sessions (for reconciliation).
    func activeSessions() async throws -> [SessionRecord]
    /// Marks the session ended unless it already is. Returns the row as stored afterwards (nil if
    /// unknown); an already-ended session keeps its first end time and reason.
    func markEnded(id: String, reason: String, atMs: Int64) async throws -> SessionRecord?
    /// How many sessions are active (the `parley_sessions_active` gauge).
    func countActive() async throws -> Int
    /// Applies one LiveKit webhook event in one transaction: records its id (a second delivery of
    /// the same id changes nothing and answers `.duplicate`), then ends the room's active session
    /// (`room_finished`) or records a participant joining or leaving.
    func applyWebhook(_ event: WebhookEventRecord, atMs: Int64) async throws -> WebhookOutcome
    /// The participants webhooks reported for a session, by identity.
    func participants(sessionID: String) async throws -> [SessionParticipant]
    /// Cheap liveness check for /readyz.
    func ping() async throws
    func close() async throws
}

public enum SessionStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case roomInUse(String)
    case duplicateID(String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .roomInUse(let room): "room \(room) already has an active session"
        case .duplicateID(let id): "session id \(id) already exists"
        case .corrupt(let why): "session store row is unreadable: \(why)"
        }
    }
}

/// A webhook event reduced to what the store acts on.
public struct WebhookEventRecord: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        /// `room_finished`: the room's active session ends with reason `room_finished`.
        case endSession
        /// `participant_joined`.
        case joined(identity: String, kind: String, isAgent: Bool)
        /// `participant_left` / `participant_connection_aborted`.
        case left(identity: String, kind: String, isAgent: Bool)
        /// Recorded for idempotency only (`room_started`, `track_published`, …).
        case none
    }

    /// LiveKit's event id (`EV_…`); nil when the sender gave none (then it cannot be deduplicated).
    public var id: String?
    public var event: String
    public var roomName: String?
    /// The room's sid; an event for another room of the same name does not touch the session.
    public var roomSID: String?
    /// The event's `createdAt` in ms (0 when absent); older events never overwrite newer state.
    public var createdAtMs: Int64
    public var action: Action

    public init(id: String?, event: String, roomName: String?, roomSID: String? = nil, createdAtMs: Int64,
                action: Action) {
        self.roomSID = roomSID
        self.id = id
        self.event = event
        self.roomName = roomName
        self.createdAtMs = createdAtMs
        self.action = action
    }
}

public enum WebhookOutcome: Sendable, Hashable {
    /// This event id was already applied.
    case duplicate
    /// No active session uses the event's room (or the event names no room).
    case noSession
    /// Recorded; the session (if any) was updated.
    case applied(sessionID: String, ended: SessionRecord?)
    /// Recorded, nothing to change (an event we do not act on, or an out-of-order one).
    case recorded(sessionID: String?)

    public var label: String {
        switch self {
        case .duplicate: "duplicate"
        case .noSession: "no_session"
        case .applied: "applied"
        case .recorded: "recorded"
        }
    }
}

/// A participant of a session's room as webhooks reported it.
public struct SessionParticipant: Sendable, Hashable {
    public var identity: String
    /// LiveKit's ParticipantInfo.Kind name (STANDARD, AGENT, SIP, …).
    public var kind: String
    public var isAgent: Bool
    public var connected: Bool
    public var joinedAtMs: Int64?
    public var leftAtMs: Int64?
}
