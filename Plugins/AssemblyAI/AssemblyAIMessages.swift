// SPDX-License-Identifier: Apache-2.0

/// The server messages of AssemblyAI's Universal-Streaming v3 API (`wss://streaming.assemblyai.com/v3/ws`),
/// as documented at assemblyai.com/docs/api-reference/streaming-api and
/// …/docs/streaming/message-sequence. Field names are the wire's snake_case (decoded with
/// `.convertFromSnakeCase`); fields Parley does not use are left out.
enum AssemblyAIMessage {
    /// `{"type": "Begin", "id", "expires_at"}`: the session is open.
    struct Begin: Decodable {
        var id: String?
        var expiresAt: Int?
    }

    /// `{"type": "Turn", …}`: the current turn so far. `transcript` holds the words already
    /// final; `words` also the one still being recognised (`word_is_final: false`). At the end of
    /// the turn `end_of_turn` is true, and with `format_turns=true` a second message follows with
    /// `turn_is_formatted: true` (punctuation, casing, numbers).
    struct Turn: Decodable {
        var turnOrder: Int
        var turnIsFormatted: Bool?
        var endOfTurn: Bool
        var transcript: String
        var endOfTurnConfidence: Double?
        var words: [Word]?

        struct Word: Decodable {
            /// Milliseconds since the session's first audio.
            var start: Double
            var end: Double
            var text: String
            var confidence: Double?
            var wordIsFinal: Bool?
        }
    }

    /// `{"type": "Termination", "audio_duration_seconds", "session_duration_seconds"}`: the last
    /// message after `Terminate`, before the close.
    struct Termination: Decodable {
        var audioDurationSeconds: Double?
        var sessionDurationSeconds: Double?
    }

    /// `{"type": "Error", "error_code", "error"}`: sent just before the server closes with
    /// `error_code` as the close code (1008 authorisation, 3005 server error, 3006 invalid
    /// message, 3007 input duration or rate, 3008 session expired, 3009 too many sessions).
    struct ErrorMessage: Decodable {
        var errorCode: Int?
        var error: String?
    }
}
