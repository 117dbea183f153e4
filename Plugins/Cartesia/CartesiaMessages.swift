// SPDX-License-Identifier: Apache-2.0

import Foundation

/// The messages of Cartesia's TTS WebSocket (`/tts/websocket`), as documented for API version
/// 2024-11-13: https://docs.cartesia.ai/2024-11-13/api-reference/tts/websocket

/// A generation request: one input on a context. Every input of a context repeats the same
/// model, voice, language and output format ("Input Format" rule 1 of the contexts guide);
/// only `transcript`, `continue` and `flush` change.
///
/// ```json
/// {"model_id": "sonic-2", "transcript": "Hello there. ", "voice": {"mode": "id", "id": "…"},
///  "language": "en", "context_id": "…", "continue": true,
///  "output_format": {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 24000}}
/// ```
struct CartesiaGenerationRequest: Encodable {
    struct Voice: Encodable {
        var mode = "id"
        var id: String
    }

    struct OutputFormat: Encodable {
        var container = "raw"
        var encoding = "pcm_s16le"
        var sampleRate: Int

        enum CodingKeys: String, CodingKey {
            case container, encoding
            case sampleRate = "sample_rate"
        }
    }

    var modelID: String
    var transcript: String
    var voice: Voice
    var language: String
    var contextID: String
    var outputFormat: OutputFormat
    /// More inputs follow on this context (the contexts guide: `continue`).
    var continues: Bool
    /// Manual flush: the audio of the inputs before it is generated now, and later audio
    /// carries the next `flush_id` ("Context Flushing and Flush IDs").
    var flush: Bool?

    enum CodingKeys: String, CodingKey {
        case transcript, voice, language, flush
        case modelID = "model_id"
        case contextID = "context_id"
        case outputFormat = "output_format"
        case continues = "continue"
    }
}

/// `{"context_id": "…", "cancel": true}`: no more messages are generated for that context.
struct CartesiaCancelRequest: Encodable {
    var contextID: String
    var cancel = true

    enum CodingKeys: String, CodingKey {
        case cancel
        case contextID = "context_id"
    }
}

/// Any message the server sends, reduced to the fields the client reads:
///
/// ```json
/// {"type": "chunk", "data": "<base64 PCM>", "done": false, "status_code": 206, "step_time": 12,
///  "context_id": "…", "flush_id": 1}
/// {"type": "flush_done", "flush_done": true, "flush_id": 1, "done": false, "context_id": "…"}
/// {"type": "done", "done": true, "status_code": 206, "context_id": "…"}
/// {"type": "error", "error": "…", "status_code": 400, "done": true, "context_id": "…"}
/// {"type": "timestamps", "word_timestamps": {…}, "context_id": "…"}
/// ```
struct CartesiaResponse: Decodable {
    var type: String?
    var data: String?
    var done: Bool?
    var statusCode: Int?
    var contextID: String?
    var flushID: Int?
    var error: String?

    enum CodingKeys: String, CodingKey {
        case type, data, done, error
        case statusCode = "status_code"
        case contextID = "context_id"
        case flushID = "flush_id"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type)
        data = try c.decodeIfPresent(String.self, forKey: .data)
        done = try c.decodeIfPresent(Bool.self, forKey: .done)
        statusCode = try c.decodeIfPresent(Int.self, forKey: .statusCode)
        contextID = try c.decodeIfPresent(String.self, forKey: .contextID)
        flushID = try c.decodeIfPresent(Int.self, forKey: .flushID)
        // Documented as a string; keep whatever else a server sends readable.
        if let text = try? c.decodeIfPresent(String.self, forKey: .error) {
            error = text
        } else if c.contains(.error), (try? c.decodeNil(forKey: .error)) == false {
            error = "(an error object)"
        }
    }
}
