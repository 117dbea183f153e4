// SPDX-License-Identifier: Apache-2.0

import Foundation

extension Frame {
    /// The words an LLM stage answers, if this frame is a user turn: a user `TextFrame` (the turn
    /// manager's committed turn, or a typed turn) or — when no turn manager decides turns — a
    /// final user transcript. Trimmed; nil for anything else or for empty text.
    public func userTurnText(turnManaged: Bool) -> String? {
        let text: String
        switch self {
        case .transcript(let t) where t.role == .user && t.isFinal && !turnManaged: text = t.text
        case .text(let t) where t.role == .user: text = t.text
        default: return nil
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }
}
