// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyLiveKit

extension SessionService {
    /// Applies a verified LiveKit webhook event (one store transaction; a redelivered event id is
    /// a no-op). `room_finished` ends the room's active session with reason `room_finished`.
    public func handleWebhook(_ event: WebhookEventRecord) async throws(APIError) -> WebhookOutcome {
        var log = logger
        log[metadataKey: "webhook_event"] = "\(event.event)"
        if let id = event.id { log[metadataKey: "webhook_id"] = "\(id)" }
        if let room = event.roomName { log[metadataKey: "room"] = "\(room)" }
        let outcome: WebhookOutcome
        do { outcome = try await store.applyWebhook(event, atMs: Self.nowMs()) } catch {
            log.error("session store failed", metadata: ["op": "webhook", "reason": "\(error)"])
            // 503 makes LiveKit retry the delivery later.
            throw APIError(.serviceUnavailable, "store_unavailable", "the session store is unavailable; retry the delivery")
        }
        metrics.webhook(event: event.event, outcome: outcome.label)
        switch outcome {
        case .applied(let id, let ended?) where ended.endReason == "room_finished":
            metrics.sessionEnded(reason: "room_finished")
            log.info("session ended by LiveKit", metadata: ["session_id": "\(id)", "reason": "room_finished"])
        case .applied(let id, _):
            log.debug("webhook applied", metadata: ["session_id": "\(id)"])
        case .duplicate:
            log.debug("webhook already applied")
        case .noSession, .recorded:
            log.debug("webhook recorded", metadata: ["outcome": "\(outcome.label)"])
        }
        return outcome
    }

    /// The participants webhooks reported for a session (empty when none arrived or the store fails).
    public func reportedParticipants(of session: SessionRecord) async -> [SessionParticipant] {
        (try? await store.participants(sessionID: session.id)) ?? []
    }

    public struct ReconcileReport: Sendable, Equatable {
        /// Active sessions checked against LiveKit.
        public var checked: Int
        /// Sessions ended because their room no longer exists.
        public var ended: [String]
        /// False when LiveKit could not be asked (then nothing was ended).
        public var completed: Bool
    }

    /// On start: every active session whose room LiveKit no longer has (`ListRooms`) is ended with
    /// reason `reconciled`, each in its own transaction. If LiveKit cannot be asked nothing is
    /// ended (a session is never closed on a guess); the report says so.
    public func reconcile(batchSize: Int = 100) async -> ReconcileReport {
        let active: [SessionRecord]
        do { active = try await store.activeSessions() } catch {
            logger.error("reconciliation skipped: session store failed", metadata: ["reason": "\(error)"])
            return ReconcileReport(checked: 0, ended: [], completed: false)
        }
        guard !active.isEmpty else { return ReconcileReport(checked: 0, ended: [], completed: true) }
        var existing = Set<String>()
        let names = Array(Set(active.map(\.roomName))).sorted()
        var start = 0
        while start < names.count {
            let batch = Array(names[start..<min(start + batchSize, names.count)])
            do throws(LiveKitAPIError) {
                for room in try await rooms.listRooms(names: batch) { existing.insert(room.name) }
            } catch {
                metrics.livekitError("ListRooms", error)
                logger.warning("reconciliation skipped: LiveKit ListRooms failed", metadata: ["code": "\(error.code)"])
                return ReconcileReport(checked: active.count, ended: [], completed: false)
            }
            start += batchSize
        }
        var ended: [String] = []
        for session in active where !existing.contains(session.roomName) {
            do {
                let at = Self.nowMs()
                if let row = try await store.markEnded(id: session.id, reason: "reconciled", atMs: at),
                   row.endReason == "reconciled", row.endedAtMs == at {
                    ended.append(session.id)
                    metrics.sessionEnded(reason: "reconciled")
                    logger.info("session ended: room is gone", metadata: ["session_id": "\(session.id)",
                                                                         "room": "\(session.roomName)",
                                                                         "user_id": "\(session.owner)",
                                                                         "reason": "reconciled"])
                }
            } catch {
                logger.error("could not end session during reconciliation",
                             metadata: ["session_id": "\(session.id)", "reason": "\(error)"])
            }
        }
        logger.info("reconciled sessions with LiveKit", metadata: ["checked": "\(active.count)", "ended": "\(ended.count)"])
        return ReconcileReport(checked: active.count, ended: ended, completed: true)
    }
}
