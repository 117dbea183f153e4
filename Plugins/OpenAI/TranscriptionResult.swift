// SPDX-License-Identifier: Apache-2.0

import Foundation

/// The answer of `POST /audio/transcriptions`
/// (https://platform.openai.com/docs/api-reference/audio/createTranscription), in the two JSON
/// shapes the stage asks for:
///
/// ```json
/// {"text": "What is the capital of France?"}                                   (json)
/// {"task": "transcribe", "language": "english", "duration": 2.1, "text": "…",
///  "words": [{"word": "What", "start": 0.32, "end": 0.5}, …]}                    (verbose_json, whisper-1)
/// ```
struct TranscriptionResult: Decodable {
    struct Word: Decodable {
        var word: String
        /// Seconds from the start of the uploaded file.
        var start: Double
        var end: Double
    }

    var text: String
    var words: [Word]?
}
