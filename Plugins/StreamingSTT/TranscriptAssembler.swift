// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

/// Turns one connection's provider hypotheses into the pipeline's `TranscriptFrame`s.
///
/// The rules every STT stage follows (the turn manager relies on them):
/// - interim hypotheses carry the `segmentID` of the final that will replace them; a final
///   closes the segment and the next hypothesis starts a new one;
/// - finals carry media `start`/`end` (the words' span when there are words, else the
///   provider's audio window) and word timings, mapped to the media timeline;
/// - `endsUtterance` is set on the final at which the provider says the speaker finished. When
///   the provider says so without new text (Deepgram's `speech_final` on an empty result, or
///   `UtteranceEnd`) and finals were emitted since the last utterance end, an empty final with
///   `endsUtterance` carries the signal; otherwise an empty result is dropped, except that an
///   empty final still closes a segment whose interims were shown (so captions can clear);
/// - every finalize request (`userStoppedSpeaking`) is answered by a final, an empty one if the
///   provider had nothing left (`acknowledgement`): the turn manager waits for that final.
struct TranscriptAssembler {
    /// How provider seconds become media times (the connection's `AudioUplink`).
    struct Clock {
        var media: (Double) -> Nanos
        /// Where the audio sent so far ends: the time of a result with neither words nor window.
        var sentEnd: () -> Nanos
    }

    let stageName: String
    let connection: Int
    let language: String?
    private var segment = 1
    private var interimShown = false
    /// Finals were emitted since the last utterance end.
    private var utteranceOpen = false

    init(stageName: String, connection: Int, language: String?) {
        self.stageName = stageName
        self.connection = connection
        self.language = language
    }

    var segmentID: String { "\(stageName)-\(connection)-\(segment)" }

    mutating func frame(for t: ProviderTranscript, clock: Clock) -> TranscriptFrame? {
        let text = t.text.trimmingCharacters(in: .whitespaces)
        guard t.isFinal else {
            guard !text.isEmpty else { return nil }
            interimShown = true
            return make(t, text: text, clock: clock, ends: false)
        }
        if !text.isEmpty {
            defer { closeSegment(utteranceOpen: !t.endsUtterance) }
            return make(t, text: text, clock: clock, ends: t.endsUtterance)
        }
        if t.endsUtterance && utteranceOpen {
            defer { closeSegment(utteranceOpen: false) }
            return make(t, text: "", clock: clock, ends: true)
        }
        if interimShown {
            defer { closeSegment(utteranceOpen: utteranceOpen) }
            return make(t, text: "", clock: clock, ends: false)
        }
        return nil
    }

    /// The provider said the speaker finished, without a result (Deepgram `UtteranceEnd`).
    mutating func utteranceEnded(clock: Clock) -> TranscriptFrame? {
        guard utteranceOpen else { return nil }
        defer { closeSegment(utteranceOpen: false) }
        return make(ProviderTranscript(text: "", isFinal: true, endsUtterance: true), text: "", clock: clock, ends: true)
    }

    /// An empty final answering a finalize request the provider had nothing left for.
    mutating func acknowledgement(clock: Clock) -> TranscriptFrame {
        defer { closeSegment(utteranceOpen: utteranceOpen) }
        return make(ProviderTranscript(text: "", isFinal: true), text: "", clock: clock, ends: false)
    }

    private mutating func closeSegment(utteranceOpen open: Bool) {
        segment += 1
        interimShown = false
        utteranceOpen = open
    }

    private func make(_ t: ProviderTranscript, text: String, clock: Clock, ends: Bool) -> TranscriptFrame {
        let words = t.words.map {
            WordTiming(word: $0.text, start: clock.media($0.start), end: clock.media($0.end), confidence: $0.confidence)
        }
        let start: Nanos
        let end: Nanos
        if let first = words.first, let last = words.last {
            start = first.start
            end = last.end
        } else if let windowStart = t.windowStart, let windowEnd = t.windowEnd {
            start = clock.media(windowStart)
            end = clock.media(windowEnd)
        } else {
            end = clock.sentEnd()
            start = end
        }
        return TranscriptFrame(text: text, isFinal: t.isFinal, segmentID: segmentID, language: language,
                               confidence: t.confidence, words: words, role: .user, start: start, end: end,
                               endsUtterance: ends)
    }
}
