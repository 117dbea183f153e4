// SPDX-License-Identifier: Apache-2.0

import ParleyCore
@testable import ParleyStreamingSTT
import Testing

/// The transcript rules the turn manager relies on: segment ids shared by interims and their
/// final, media times from words or the window, and how an end of utterance without text is carried.
struct TranscriptAssemblerTests {
    /// Provider seconds = media seconds + 10 s.
    let clock = TranscriptAssembler.Clock(media: { Nanos(($0 + 10) * 1_000_000_000) }, sentEnd: { 99 })

    func assembler() -> TranscriptAssembler { TranscriptAssembler(stageName: "stt:x", connection: 2, language: "en") }

    @Test func interimsShareTheSegmentOfTheFinalThatReplacesThem() {
        var a = assembler()
        let i1 = a.frame(for: ProviderTranscript(text: "hel", isFinal: false), clock: clock)
        let i2 = a.frame(for: ProviderTranscript(text: "hello", isFinal: false), clock: clock)
        let f1 = a.frame(for: ProviderTranscript(text: "hello", isFinal: true), clock: clock)
        let i3 = a.frame(for: ProviderTranscript(text: "wor", isFinal: false), clock: clock)
        #expect([i1, i2, f1].map { $0?.segmentID } == ["stt:x-2-1", "stt:x-2-1", "stt:x-2-1"])
        #expect(i3?.segmentID == "stt:x-2-2")
        #expect(f1?.isFinal == true && f1?.role == .user && f1?.language == "en")
    }

    @Test func timesComeFromWordsThenWindowThenWhatWasSent() {
        var a = assembler()
        let words = a.frame(for: ProviderTranscript(text: "a b", isFinal: true, words: [
            ProviderWord(text: "a", start: 1, end: 1.5, confidence: 0.9), ProviderWord(text: "b", start: 2, end: 2.25),
        ], windowStart: 0, windowEnd: 3), clock: clock)
        #expect(words?.start == 11_000_000_000 && words?.end == 12_250_000_000)
        #expect(words?.words == [WordTiming(word: "a", start: 11_000_000_000, end: 11_500_000_000, confidence: 0.9),
                                 WordTiming(word: "b", start: 12_000_000_000, end: 12_250_000_000)])
        let window = a.frame(for: ProviderTranscript(text: "c", isFinal: true, windowStart: 3, windowEnd: 4), clock: clock)
        #expect(window?.start == 13_000_000_000 && window?.end == 14_000_000_000)
        let neither = a.frame(for: ProviderTranscript(text: "d", isFinal: true), clock: clock)
        #expect(neither?.start == 99 && neither?.end == 99)
    }

    @Test func anEndOfUtteranceWithoutTextClosesAnOpenUtteranceOnce() {
        var a = assembler()
        // Nothing said: an empty end of utterance is dropped.
        #expect(a.frame(for: ProviderTranscript(text: "", isFinal: true, endsUtterance: true), clock: clock) == nil)
        #expect(a.utteranceEnded(clock: clock) == nil)
        _ = a.frame(for: ProviderTranscript(text: "yes", isFinal: true), clock: clock)
        let end = a.frame(for: ProviderTranscript(text: "", isFinal: true, endsUtterance: true), clock: clock)
        #expect(end?.text == "" && end?.isFinal == true && end?.endsUtterance == true)
        // Already closed: UtteranceEnd after speech_final adds nothing.
        #expect(a.utteranceEnded(clock: clock) == nil)
        _ = a.frame(for: ProviderTranscript(text: "no", isFinal: true), clock: clock)
        #expect(a.utteranceEnded(clock: clock)?.endsUtterance == true)
    }

    @Test func anEmptyFinalClosesASegmentWhoseInterimsWereShown() {
        var a = assembler()
        #expect(a.frame(for: ProviderTranscript(text: "", isFinal: false), clock: clock) == nil)
        let interim = a.frame(for: ProviderTranscript(text: "uh", isFinal: false), clock: clock)
        let closing = a.frame(for: ProviderTranscript(text: " ", isFinal: true), clock: clock)
        #expect(closing?.text == "" && closing?.segmentID == interim?.segmentID && closing?.endsUtterance == false)
        #expect(a.frame(for: ProviderTranscript(text: "", isFinal: true), clock: clock) == nil)
    }

    @Test func anAcknowledgementIsAnEmptyFinalClosingTheSegment() {
        var a = assembler()
        let interim = a.frame(for: ProviderTranscript(text: "so", isFinal: false), clock: clock)
        let ack = a.acknowledgement(clock: clock)
        #expect(ack.isFinal && ack.text == "" && !ack.endsUtterance && ack.segmentID == interim?.segmentID)
        #expect(ack.start == 99 && ack.end == 99)
        #expect(a.frame(for: ProviderTranscript(text: "next", isFinal: false), clock: clock)?.segmentID == "stt:x-2-2")
    }
}
