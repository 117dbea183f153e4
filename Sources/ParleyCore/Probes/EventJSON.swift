// SPDX-License-Identifier: Apache-2.0

/// JSON-lines form of pipeline events, the format benchmarks and dashboards read.
/// One object per line; times are in milliseconds (floating point) unless named `_ns`.
///
/// ```json
/// {"event":"turn","turn":1,"realtime":false,"speech_end_ms":1840.0,"endpointing_ms":300.0,
///  "response_ms":0.41,"voice_to_voice_ms":300.41,"interrupted":false,
///  "stages":[{"stage":"responder:loopback","first_output_ms":0.02,"processing_ms":0.05}],"metrics":[]}
/// ```
public extension PipelineEvent {
    var jsonLine: String {
        switch self {
        case .turn(let t):
            let first = Dictionary(t.stageFirstOutput.map { ($0.stage, $0.nanoseconds) }, uniquingKeysWith: { a, _ in a })
            let stages = t.stageProcessing.map { p -> String in
                let f = first[p.stage].map { ",\"first_output_ms\":\(ms($0))" } ?? ""
                return "{\"stage\":\(jsonQuoted(p.stage))\(f),\"processing_ms\":\(ms(p.nanoseconds))}"
            }
            let metrics = t.metrics.map { "{\"stage\":\(jsonQuoted($0.stage)),\"name\":\(jsonQuoted($0.name)),\"ms\":\(ms($0.nanoseconds))}" }
            return "{\"event\":\"turn\",\"turn\":\(t.index),\"realtime\":\(t.isRealtime),\"speech_end_ms\":\(ms(t.speechEnd)),"
                + "\"endpointing_ms\":\(ms(t.endpointingDelay)),\"response_ms\":\(ms(t.responseLatency)),"
                + "\"voice_to_voice_ms\":\(ms(t.voiceToVoice)),\"interrupted\":\(t.wasInterrupted),"
                + "\"stages\":[\(stages.joined(separator: ","))],\"metrics\":[\(metrics.joined(separator: ","))]}"
        case .interruption(let i):
            return "{\"event\":\"interruption\",\"id\":\(i.id),\"cause\":\(jsonQuoted(i.cause.rawValue)),\"origin\":\(i.origin),\"at_ms\":\(ms(i.raisedAt))}"
        case .stageFailure(let f):
            return "{\"event\":\"failure\",\"stage\":\(jsonQuoted(f.stage)),\"message\":\(jsonQuoted(f.message)),\"fatal\":\(f.isFatal)}"
        case .finished(let o):
            let s: String
            switch o {
            case .finished: s = "finished"
            case .failed: s = "failed"
            case .cancelled: s = "cancelled"
            }
            return "{\"event\":\"finished\",\"outcome\":\"\(s)\"}"
        }
    }
}

public extension TranscriptFrame {
    /// `{"event":"transcript","role":"user","final":true,"text":"…","start_ms":…,"end_ms":…}`
    var jsonLine: String {
        "{\"event\":\"transcript\",\"role\":\(jsonQuoted(role == .agent ? "agent" : "user")),\"final\":\(isFinal),"
            + "\"text\":\(jsonQuoted(text)),\"start_ms\":\(ms(start)),\"end_ms\":\(ms(end))}"
    }
}

public extension TextFrame {
    /// What the agent said, as the playout released it:
    /// `{"event":"transcript","role":"agent","final":true,"text":"…","reply_id":"…"}`
    var jsonLine: String {
        "{\"event\":\"transcript\",\"role\":\(jsonQuoted(role == .agent ? "agent" : "user")),\"final\":true,"
            + "\"text\":\(jsonQuoted(text))" + (replyID.map { ",\"reply_id\":\(jsonQuoted($0))" } ?? "") + "}"
    }
}

private func ms(_ n: Nanos) -> String {
    let v = (Double(n) / 1_000_000 * 1000).rounded() / 1000
    return String(v)
}

/// A JSON string literal with the required escapes.
/// `s` as a JSON string literal, quotes included (shared by every JSON writer in Parley that
/// builds its text by hand: event lines, tool results, tool schemas).
public func jsonQuoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where u.value < 0x20:
            let hex = String(u.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}
