// SPDX-License-Identifier: Apache-2.0

import ParleyStreamingSTT

/// AssemblyAI's v3 server messages → `STTEvent`s.
///
/// - `Turn` with `end_of_turn: false` is an interim: all its words (the one still being
///   recognised too), so captions move with the speech.
/// - `Turn` with `end_of_turn: true` is the final of the turn, ending the utterance. With
///   `format_turns` on, the unformatted end-of-turn message is shown as an interim and the
///   formatted one that follows is the final (what the LLM should read).
/// - `Termination` is the last message after `Terminate`; `Error` is a failure (the server
///   closes with its code next); `Begin` and unknown types are logged only.
struct AssemblyAIDecoder: StreamingSTTDecoder {
    let formatTurns: Bool
    private let reader = JSONMessageReader()

    init(formatTurns: Bool) {
        self.formatTurns = formatTurns
    }

    mutating func decode(_ text: String) throws(STTProtocolError) -> [STTEvent] {
        let (type, data) = try reader.type(of: text)
        switch type {
        case "Turn":
            let turn = try reader.decode(AssemblyAIMessage.Turn.self, from: data, messageType: "Turn")
            let words = (turn.words ?? []).map {
                ProviderWord(text: $0.text, start: $0.start / 1000, end: $0.end / 1000, confidence: $0.confidence)
            }
            let isFinal = turn.endOfTurn && (!formatTurns || turn.turnIsFormatted == true)
            let text = isFinal || turn.endOfTurn ? turn.transcript : words.map(\.text).joined(separator: " ")
            let confidence = words.isEmpty ? nil : words.compactMap(\.confidence).reduce(0, +) / Double(words.count)
            return [.transcript(ProviderTranscript(text: text, isFinal: isFinal, endsUtterance: isFinal,
                                                   confidence: confidence, words: words))]
        case "Begin":
            let begin = try reader.decode(AssemblyAIMessage.Begin.self, from: data, messageType: "Begin")
            return [.info("Begin session \(begin.id ?? "?")")]
        case "Termination":
            let t = try reader.decode(AssemblyAIMessage.Termination.self, from: data, messageType: "Termination")
            return [.info("Termination after \(t.audioDurationSeconds.map { "\($0) s" } ?? "?") of audio"),
                    .streamFinished]
        case "Error":
            let e = try reader.decode(AssemblyAIMessage.ErrorMessage.self, from: data, messageType: "Error")
            let code = e.errorCode.map { "error \($0): " } ?? ""
            return [.providerError(code + (e.error ?? "(no description)"))]
        default:
            return [.info("ignored message type \(type ?? "(none)")")]
        }
    }
}
