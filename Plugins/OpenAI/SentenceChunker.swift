// SPDX-License-Identifier: Apache-2.0

/// Cuts streamed text into sentences, so a TTS stage can start speaking the first sentence
/// while the model is still writing the rest (today's TTS stages speak agent `TextFrame`s and
/// let `LLMFrame`s pass).
///
/// A sentence ends at `.`, `!`, `?` or `…` followed by whitespace, or at a line break. The
/// punctuation must be followed by whitespace so "3.5" and "example.com" stay whole.
struct SentenceChunker {
    private var pending = ""

    /// Adds a delta; returns the sentences it completed (trimmed, non-empty).
    mutating func add(_ delta: String) -> [String] {
        pending += delta
        var sentences: [String] = []
        var start = pending.startIndex
        var i = pending.startIndex
        while i < pending.endIndex {
            let c = pending[i]
            let next = pending.index(after: i)
            let ends: Bool
            if c == "\n" {
                ends = true
            } else if Self.terminators.contains(c), next < pending.endIndex, pending[next].isWhitespace {
                ends = true
            } else {
                ends = false
            }
            if ends {
                append(pending[start..<next], to: &sentences)
                start = next
            }
            i = next
        }
        pending.removeSubrange(pending.startIndex..<start)
        return sentences
    }

    /// The text after the last sentence end (the response finished).
    mutating func finish() -> String? {
        defer { pending = "" }
        let rest = pending.trimmingWhitespace()
        return rest.isEmpty ? nil : rest
    }

    private func append(_ text: Substring, to sentences: inout [String]) {
        let s = String(text).trimmingWhitespace()
        if !s.isEmpty { sentences.append(s) }
    }

    private static let terminators: Set<Character> = [".", "!", "?", "…"]
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
