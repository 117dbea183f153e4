// SPDX-License-Identifier: Apache-2.0

/// Cuts streamed LLM text into sentences, so a TTS stage can start speaking the first sentence
/// while the model is still writing the rest. Shared by every LLM provider.
///
/// A sentence ends at `.`, `!`, `?` or `…` followed by whitespace, or at a line break. The
/// punctuation must be followed by whitespace so "3.5" and "example.com" stay whole.
///
/// With `firstClauseAtComma`, the *first* piece of a reply may also end at a `,`, `;` or `:`
/// followed by whitespace once it is at least `minimumClauseCharacters` long: the TTS then
/// starts on "Paris, the capital of France," a clause earlier, which cuts time to first audio
/// by the time the model needs to write the rest of the sentence.
public struct SentenceChunker: Sendable {
    private var pending = ""
    private var emittedAny = false
    public let firstClauseAtComma: Bool
    public let minimumClauseCharacters: Int

    public init(firstClauseAtComma: Bool = false, minimumClauseCharacters: Int = 16) {
        self.firstClauseAtComma = firstClauseAtComma
        self.minimumClauseCharacters = minimumClauseCharacters
    }

    /// Adds a delta; returns the sentences it completed (trimmed, non-empty).
    public mutating func add(_ delta: String) -> [String] {
        pending += delta
        var sentences: [String] = []
        var start = pending.startIndex
        var i = pending.startIndex
        var length = 0
        while i < pending.endIndex {
            let c = pending[i]
            let next = pending.index(after: i)
            length += 1
            let followedBySpace = next < pending.endIndex && pending[next].isWhitespace
            let ends: Bool
            if c == "\n" {
                ends = true
            } else if Self.terminators.contains(c), followedBySpace {
                ends = true
            } else if firstClauseAtComma, !emittedAny, sentences.isEmpty, Self.clauseBreaks.contains(c), followedBySpace,
                      length >= minimumClauseCharacters {
                ends = true
            } else {
                ends = false
            }
            if ends {
                append(pending[start..<next], to: &sentences)
                start = next
                length = 0
            }
            i = next
        }
        pending.removeSubrange(pending.startIndex..<start)
        if !sentences.isEmpty { emittedAny = true }
        return sentences
    }

    /// The text after the last sentence end (the response finished). Resets for the next reply.
    public mutating func finish() -> String? {
        defer {
            pending = ""
            emittedAny = false
        }
        let rest = pending.trimmingWhitespace()
        return rest.isEmpty ? nil : rest
    }

    private func append(_ text: Substring, to sentences: inout [String]) {
        let s = String(text).trimmingWhitespace()
        if !s.isEmpty { sentences.append(s) }
    }

    private static let terminators: Set<Character> = [".", "!", "?", "…"]
    private static let clauseBreaks: Set<Character> = [",", ";", ":"]
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
