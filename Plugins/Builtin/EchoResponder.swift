// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

/// Stands in for an LLM: answers each final user transcript with agent text that repeats it
/// ("You said: …"). With an STT in front and a TTS behind it, it exercises the whole speech
/// path (VAD → STT → text → TTS) without a language model. Transcripts pass through, so they
/// also reach the output.
public final class EchoResponder: Stage {
    public let name = "llm:echo"
    public var accepts: FrameKinds { .transcript }
    public var produces: FrameKinds { .text }
    private let prefix: String

    public init(prefix: String = "You said: ") { self.prefix = prefix }

    public func process(_ frame: Frame, _ context: StageContext) {
        context.emit(frame)
        guard case .transcript(let t) = frame, t.role == .user, t.isFinal else { return }
        let text = t.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return }
        context.emit(.text(TextFrame(text: prefix + text, role: .agent)))
    }

    public static let registration = StageRegistration(
        provider: "echo", kinds: [.llm, .processor],
        summary: "Answers each final transcript by repeating it (an LLM stand-in for testing the speech path)",
        options: [.string("prefix", default: "You said: ", help: "text spoken before the repeated words")]
    ) { request in
        EchoResponder(prefix: request.options.string("prefix") ?? "You said: ")
    }
}
