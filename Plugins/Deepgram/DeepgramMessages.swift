// SPDX-License-Identifier: Apache-2.0

/// The server messages of Deepgram's live streaming API (`GET /v1/listen`, Streaming:Nova), as
/// documented at developers.deepgram.com/reference/speech-to-text/listen-streaming. Field names
/// are the wire's snake_case (decoded with `.convertFromSnakeCase`); fields Parley does not use
/// are left out, and optional ones are optional so a leaner message still decodes.
enum DeepgramMessage {
    /// `{"type": "Results", …}`: an interim (`is_final: false`) or final hypothesis for the audio
    /// window `[start, start + duration)` (seconds since the stream's first audio).
    struct Results: Decodable {
        var start: Double
        var duration: Double
        var isFinal: Bool?
        /// Endpointing heard the pause that ends the utterance (`endpointing=` ms of silence).
        var speechFinal: Bool?
        /// This final answers a `Finalize` message.
        var fromFinalize: Bool?
        var channel: Channel

        struct Channel: Decodable {
            var alternatives: [Alternative]
        }

        struct Alternative: Decodable {
            var transcript: String
            var confidence: Double?
            var words: [Word]?
        }

        struct Word: Decodable {
            var word: String
            var start: Double
            var end: Double
            var confidence: Double?
            /// With `smart_format`/`punctuate`: the word as it appears in `transcript`.
            var punctuatedWord: String?
        }
    }

    /// `{"type": "UtteranceEnd", "last_word_end": s}` (with `utterance_end_ms=`): a gap of that
    /// length followed the last final word.
    struct UtteranceEnd: Decodable {
        var lastWordEnd: Double?
    }

    /// `{"type": "SpeechStarted", "timestamp": s}` (with `vad_events=true`).
    struct SpeechStarted: Decodable {
        var timestamp: Double?
    }

    /// `{"type": "Metadata", "request_id": …}`: the summary sent after `CloseStream`, before the close.
    struct Metadata: Decodable {
        var requestId: String?
    }

    /// An error reported as a message rather than a close frame (the SDKs' `Error` event).
    struct ErrorMessage: Decodable {
        var description: String?
        var message: String?
        var variant: String?
    }
}
