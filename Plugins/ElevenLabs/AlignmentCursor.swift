// SPDX-License-Identifier: Apache-2.0

/// Finds which of the texts sent on one ElevenLabs stream an audio chunk belongs to, from the
/// character alignment that comes with it.
///
/// The stream voices the texts as one utterance, and a chunk of audio may end one text and
/// begin the next. Each chunk's `alignment` lists the characters it voices and when each
/// starts; counting those characters against the lengths of the texts sent says where the
/// next text begins, and its first character's start time is where the chunk is cut.
///
/// ```
///   texts sent:   "Hello there. "  "How are you? "          (11 + 10 characters, spaces not counted)
///   chunk:        chars "r e .   H o w"  starts 0 20 40 60 80 100 120 ms
///                 ─────────────────────┬──────────
///                 text 0 (… "re. ")    │ text 1 from 80 ms ("How…")
/// ```
///
/// Whitespace is not counted: providers normalise it, and a cut inside a pause is harmless.
/// Start times are relative to the chunk (as ElevenLabs sends them); times that only make
/// sense from the start of the stream are recognised and rebased.
struct AlignmentCursor {
    /// Characters (without whitespace) of each text sent, cumulative: text k ends before `ends[k]`.
    private(set) var ends: [Int] = []
    /// Characters (without whitespace) voiced so far.
    private(set) var voiced = 0
    /// The text the audio so far has reached.
    private(set) var current = 0

    /// A text was sent on the stream.
    mutating func add(_ text: String) {
        let length = text.unicodeScalars.filter { !$0.properties.isWhitespace }.count
        ends.append((ends.last ?? 0) + length)
    }

    /// The text the character at `position` (counting without whitespace) belongs to; past
    /// the end (a provider that voices more than was sent), the last text.
    private func text(at position: Int) -> Int {
        ends.firstIndex { position < $0 } ?? max(0, ends.count - 1)
    }

    /// The pieces of a chunk of `samples` samples at `sampleRate`: each from sample `from` on
    /// belongs to text `index`. `chunkStartMs`: audio of the stream before this chunk.
    mutating func split(chars: [String], startsMs: [Double], samples: Int, sampleRate: Int,
                        chunkStartMs: Double) -> [(index: Int, from: Int)] {
        var pieces = [(index: current, from: 0)]
        let chunkMs = Double(samples) * 1000 / Double(sampleRate)
        // Relative times start near 0 and stay within the chunk; absolute ones run from the
        // stream's start, so they begin near `chunkStartMs` (or overrun the chunk).
        let first = startsMs.first ?? 0
        let absolute = chunkStartMs > 0
            && ((startsMs.max() ?? 0) > chunkMs + 1 || (chunkStartMs >= 100 && first > chunkStartMs / 2))
        let offset = absolute ? chunkStartMs : 0
        for (i, char) in chars.enumerated() {
            guard char.unicodeScalars.contains(where: { !$0.properties.isWhitespace }) else { continue }
            let index = text(at: voiced)
            voiced += 1
            guard index > current else { continue }
            current = index
            let ms = i < startsMs.count ? startsMs[i] - offset : chunkMs
            let from = min(samples, max(0, Int((ms * Double(sampleRate) / 1000).rounded())))
            if from <= pieces[pieces.count - 1].from {
                pieces[pieces.count - 1].index = index
            } else {
                pieces.append((index: index, from: from))
            }
        }
        return pieces
    }
}
