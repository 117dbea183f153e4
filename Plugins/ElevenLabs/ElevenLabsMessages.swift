// SPDX-License-Identifier: Apache-2.0

import Foundation

/// The messages of ElevenLabs' text-to-speech input-streaming WebSocket
/// (`GET /v1/text-to-speech/{voice_id}/stream-input`), as documented at
/// https://elevenlabs.io/docs/api-reference/text-to-speech/v-1-text-to-speech-voice-id-stream-input

/// The first message of a stream: a single space, plus the voice settings for the whole stream.
///
/// ```json
/// {"text": " ", "voice_settings": {"stability": 0.5, "similarity_boost": 0.8, "speed": 1.0}}
/// ```
struct ElevenLabsInitialMessage: Encodable {
    struct VoiceSettings: Encodable, Sendable, Equatable {
        var stability: Double?
        var similarityBoost: Double?
        var style: Double?
        var speed: Double?

        enum CodingKeys: String, CodingKey {
            case stability, style, speed
            case similarityBoost = "similarity_boost"
        }

        var isEmpty: Bool { stability == nil && similarityBoost == nil && style == nil && speed == nil }
    }

    var text = " "
    var voiceSettings: VoiceSettings?

    enum CodingKeys: String, CodingKey {
        case text
        case voiceSettings = "voice_settings"
    }
}

/// Text to speak (ending in a space, as the docs ask), `flush` to have it voiced now rather
/// than when the buffer fills; `{"text": ""}` ends the input, after which the server sends the
/// rest of the audio, `isFinal`, and closes.
struct ElevenLabsTextMessage: Encodable {
    var text: String
    var flush: Bool?
}

/// What the server sends:
///
/// ```json
/// {"audio": "<base64 PCM>", "isFinal": null,
///  "alignment": {"chars": ["H", "i"], "charStartTimesMs": [0, 40], "charDurationsMs": [40, 60]},
///  "normalizedAlignment": {…}}
/// {"isFinal": true}
/// {"message": "…", "error": "input_timeout_exceeded", "code": 1008}
/// ```
struct ElevenLabsResponse: Decodable {
    struct Alignment: Decodable {
        var chars: [String]
        var charStartTimesMs: [Double]
        var charDurationsMs: [Double]?
    }

    var audio: String?
    var isFinal: Bool?
    var alignment: Alignment?
    var message: String?
    var error: String?
    var code: Int?

    enum CodingKeys: String, CodingKey {
        case audio, isFinal, alignment, message, error, code
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        audio = try c.decodeIfPresent(String.self, forKey: .audio)
        isFinal = try c.decodeIfPresent(Bool.self, forKey: .isFinal)
        // Alignment is an aid for attributing audio to texts; a shape we don't know is not fatal.
        alignment = try? c.decodeIfPresent(Alignment.self, forKey: .alignment)
        message = try? c.decodeIfPresent(String.self, forKey: .message)
        if let text = try? c.decodeIfPresent(String.self, forKey: .error) {
            error = text
        } else if c.contains(.error), (try? c.decodeNil(forKey: .error)) == false {
            error = "(an error object)"
        }
        code = try? c.decodeIfPresent(Int.self, forKey: .code)
    }
}
