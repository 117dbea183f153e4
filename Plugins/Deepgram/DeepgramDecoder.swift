// SPDX-License-Identifier: Apache-2.0

import ParleyStreamingSTT

/// Deepgram's server messages → `STTEvent`s.
///
/// - `Results`: `channel.alternatives[0]` becomes the hypothesis; `is_final` makes it final and
///   `speech_final` makes it end the utterance. Words use `punctuated_word` when present, so
///   word timings read like the transcript.
/// - `UtteranceEnd` ends the utterance without text; `Metadata` is the last message after
///   `CloseStream`; `SpeechStarted` is logged only (the pipeline's VAD owns speech onsets).
struct DeepgramDecoder: StreamingSTTDecoder {
    private let reader = JSONMessageReader()

    mutating func decode(_ text: String) throws(STTProtocolError) -> [STTEvent] {
        let (type, data) = try reader.type(of: text)
        switch type {
        case "Results":
            let r = try reader.decode(DeepgramMessage.Results.self, from: data, messageType: "Results")
            let alternative = r.channel.alternatives.first
            let words = (alternative?.words ?? []).map {
                ProviderWord(text: $0.punctuatedWord ?? $0.word, start: $0.start, end: $0.end, confidence: $0.confidence)
            }
            return [.transcript(ProviderTranscript(
                text: alternative?.transcript ?? "", isFinal: r.isFinal ?? false,
                endsUtterance: (r.isFinal ?? false) && (r.speechFinal ?? false), confidence: alternative?.confidence,
                words: words, windowStart: r.start, windowEnd: r.start + r.duration))]
        case "UtteranceEnd":
            _ = try reader.decode(DeepgramMessage.UtteranceEnd.self, from: data, messageType: "UtteranceEnd")
            return [.utteranceEnded]
        case "SpeechStarted":
            let s = try reader.decode(DeepgramMessage.SpeechStarted.self, from: data, messageType: "SpeechStarted")
            return [.info("SpeechStarted at \(s.timestamp.map { "\($0) s" } ?? "?")")]
        case "Metadata":
            let m = try reader.decode(DeepgramMessage.Metadata.self, from: data, messageType: "Metadata")
            return [.info("Metadata request_id \(m.requestId ?? "?")"), .streamFinished]
        case "Error":
            let e = try reader.decode(DeepgramMessage.ErrorMessage.self, from: data, messageType: "Error")
            let text = [e.variant, e.description ?? e.message].compactMap { $0 }.joined(separator: ": ")
            return [.providerError(text.isEmpty ? "(no description)" : text)]
        default:
            return [.info("ignored message type \(type ?? "(none)")")]
        }
    }
}
