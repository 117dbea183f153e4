// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

/// Decides, once the user went quiet, whether what they said so far is a finished turn.
/// The turn manager asks it at the end of the minimum endpointing delay; "not finished"
/// makes it wait for more speech, up to the maximum delay.
///
/// This is the hook for model-based detectors (livekit's turn-detector, pipecat's smart-turn):
/// they run on their own thread and must answer quickly; the turn manager calls `isComplete`
/// on the pipeline loop.
public protocol TurnDetector: Sendable {
    var name: String { get }
    func isComplete(transcript: String, context: [ChatMessage]) -> Bool
}

/// A transcript that ends in a conjunction, a filler or a comma is rarely a finished thought
/// ("I'd like to book a table and…"); anything else is taken as finished.
public struct TrailingWordTurnDetector: TurnDetector {
    public let name = "trailing-word"
    static let continuations: Set<String> = [
        "and", "but", "or", "so", "because", "um", "uh", "er", "erm", "hmm", "like", "the", "a", "an", "to", "of",
        "with", "for", "if", "then", "that", "which", "my", "your", "is", "are", "i", "we",
    ]

    public init() {}

    public func isComplete(transcript: String, context: [ChatMessage]) -> Bool {
        let trimmed = transcript.trimmingCharacters(in: .whitespaces)
        guard let last = trimmed.last else { return true }
        if last == "," || last == "-" || last == "…" { return false }
        if last == "." || last == "?" || last == "!" { return true }
        let word = trimmed.split(separator: " ").last.map { $0.lowercased().filter(\.isLetter) } ?? ""
        return !Self.continuations.contains(word)
    }
}
