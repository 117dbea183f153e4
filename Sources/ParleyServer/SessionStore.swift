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
