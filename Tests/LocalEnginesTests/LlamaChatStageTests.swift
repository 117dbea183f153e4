// SPDX-License-Identifier: Apache-2.0

#if canImport(ParleyLlamaPlugins)
import Foundation
import ParleyCore
@testable import ParleyLlamaPlugins
import ParleyProviderConformance
import Synchronization
import Testing

/// The installed SmolLM2 GGUF, or nil (tests then skip, saying why).
enum InstalledLlama {
    static let files: LlamaModelFiles? = {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        guard let files = try? LlamaModelFiles.locate(from: here),
              let model = try? files.model(LlamaModelFiles.defaultModel),
              FileManager.default.fileExists(atPath: model.path) else { return nil }
        return files
    }()
    static var available: Bool { files != nil }
    static let skipReason: Comment = "llama.cpp/SmolLM2 not installed: run scripts/install-local-engines"
    static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        if let files { env["PARLEY_LOCAL_ENGINES"] = files.root.path }
        return env
    }
}

/// Collects what the stage's worker reports (set before the pipeline starts).
final class ReplyReports: Sendable {
    private let reports = Mutex<[LlamaChatModel.Report]>([])
    func add(_ r: LlamaChatModel.Report) { reports.withLock { $0.append(r) } }
    var all: [LlamaChatModel.Report] { reports.withLock { $0 } }
}

extension [Frame] {
    var llmFrames: [LLMFrame] { compactMap { if case .llm(let l) = $0 { l } else { nil } } }
    func deltas(of response: String) -> String {
        llmFrames.compactMap { if case .textDelta(let id, let t) = $0, id == response { t } else { nil } }.joined()
    }
    func ended(_ response: String) -> String? {
        llmFrames.lazy.compactMap { if case .responseEnded(let id, let r) = $0, id == response { r } else { nil } }.first
    }
    func index(where predicate: (Frame) -> Bool) -> Int? { firstIndex(where: predicate) }
}

@Suite("llama.cpp LLM stage (SmolLM2-135M)", .serialized, .enabled(if: InstalledLlama.available, InstalledLlama.skipReason))
struct LlamaChatStageTests {
    static func harness(_ yaml: String = "llama/smollm2-135m") throws -> (LiveStageHarness, LlamaChatStage) {
        let h = try LiveStageHarness(kind: .llm, yaml: yaml, registrations: [LlamaChatStage.registration],
                                     environment: InstalledLlama.environment)
        return (h, try #require(h.stage as? LlamaChatStage))
    }

    static func userTurn(_ text: String, _ n: Int = 1) -> Frame {
        .transcript(TranscriptFrame(text: text, isFinal: true, segmentID: "seg-\(n)", role: .user))
    }

    @Test("answers a final transcript: ttft first, a bracketed streamed response, sentences as agent text, history")
    func answers() throws {
        let (h, stage) = try Self.harness("{ provider: llama/smollm2-135m, max_tokens: 48 }")
        h.push(.transcript(TranscriptFrame(text: "hm", isFinal: false, segmentID: "seg-0", role: .user)))  // interim: no reply
        h.push(Self.userTurn("What is the capital of France?"))
        let first = "llm:llama-1"
        #expect(h.run(timeout: .seconds(60)) { $0.ended(first) != nil }, "no reply within 60 s")
        let out = h.outputs

        #expect(out.llmFrames.filter { if case .responseStarted = $0 { true } else { false } }.count == 1,
                "the interim transcript must not start a reply")
        #expect(out.ended(first) == "stop" || out.ended(first) == "length")
        // The transcript passes on before the reply; the TTFT metric comes before the first LLM frame.
        let transcriptAt = try #require(out.index { if case .transcript(let t) = $0 { t.isFinal } else { false } })
        let ttftAt = try #require(out.index { if case .control(.metric(let m)) = $0 { m.name == "llm_ttft" } else { false } })
        let startedAt = try #require(out.index { if case .llm(.responseStarted) = $0 { true } else { false } })
        let endedAt = try #require(out.index { if case .llm(.responseEnded) = $0 { true } else { false } })
        #expect(transcriptAt < ttftAt && ttftAt < startedAt && startedAt < endedAt)

        let reply = out.deltas(of: first)
        #expect(!reply.trimmingCharacters(in: .whitespaces).isEmpty)
        #expect(!reply.contains("\u{FFFD}") && !reply.contains("<|im_"), "reply: \(reply)")
        // The agent sentences are the reply, cut up, and all arrive before responseEnded.
        let sentences = h.agentText
        #expect(!sentences.isEmpty)
        #expect(normalised(sentences.joined(separator: " ")) == normalised(reply), "\(sentences) vs \(reply)")
        let lastText = try #require(out.lastIndex { if case .text = $0 { true } else { false } })
        #expect(lastText < endedAt)
        let ttft = try #require(h.metrics.first { $0.name == "llm_ttft" })
        let firstText = try #require(h.metrics.first { $0.name == "llm_first_text" })
        #expect(ttft.nanoseconds > 0 && ttft.nanoseconds <= firstText.nanoseconds)
        print("[llama] \"\(reply)\" as \(sentences.count) piece(s); ttft \(ttft.nanoseconds / 1_000_000) ms, "
              + "first text \(firstText.nanoseconds / 1_000_000) ms")

        // A second turn: the first reply is in the history, whole, before the new question.
        h.push(.text(TextFrame(text: "And of Germany?", role: .user)))
        #expect(h.run(timeout: .seconds(60)) { $0.ended("llm:llama-2") != nil })
        let history = stage.historyMessages
        #expect(history.map(\.role) == ["system", "user", "assistant", "user"])
        #expect(history[0].content == LlamaChatStage.defaultInstructions)
        #expect(history[2].content == reply)
        #expect(history[3].content == "And of Germany?")
        #expect(h.failures.isEmpty)
    }

    @Test("an interruption stops decoding at the next token; nothing stale comes out; the hook shapes the history")
    func interruption() throws {
        let (h, stage) = try Self.harness("{ provider: llama/smollm2-135m, max_tokens: 400 }")
        let reports = ReplyReports()
        stage.onReplyReport = { reports.add($0) }
        let kept = Mutex<String?>(nil)
        stage.interruptedReplyText = { text in
            kept.withLock { $0 = text }
            return "KEPT: " + String(text.prefix(12))
        }
        h.push(Self.userTurn("Tell me a very long story about a dragon who lives in a castle."))
        #expect(h.run(timeout: .seconds(60)) { !$0.deltas(of: "llm:llama-1").isEmpty })
        h.pipeline.interrupt(.userSpeech)
        h.pipeline.run()
        let cut = h.outputs.count
        // The next turn runs after the cancelled generation has left the worker.
        h.push(Self.userTurn("Hello.", 2))
        #expect(h.run(timeout: .seconds(60)) { $0.ended("llm:llama-2") != nil })
        h.idle(for: .milliseconds(200))

        let after = Array(h.outputs[cut...])
        let stale = after.llmFrames.filter { $0.responseID == "llm:llama-1" }
        #expect(stale.isEmpty, "stale output of the interrupted reply: \(stale)")
        // Every agent sentence after the cut belongs to the second reply.
        let secondReply = after.deltas(of: "llm:llama-2")
        let textAfter = after.compactMap { if case .text(let t) = $0, t.role == .agent { t.text } else { nil } }
        #expect(!secondReply.isEmpty)
        #expect(normalised(textAfter.joined(separator: " ")) == normalised(secondReply), "\(textAfter) vs \(secondReply)")

        let first = try #require(reports.all.first)
        #expect(first.finish == .cancelled)
        // Decoding stopped at the next token: once the stage refused text, at most that token
        // (and one held back as an incomplete UTF-8 character) was sampled; far short of max_tokens.
        let seenText = try #require(kept.withLock { $0 })
        #expect(!seenText.isEmpty)
        #expect(first.generatedTokens <= first.acceptedTokens + 2,
                "generated \(first.generatedTokens), accepted \(first.acceptedTokens)")
        #expect(first.generatedTokens < 400)
        // The hook's text is what the history keeps of the interrupted reply.
        let history = stage.historyMessages
        #expect(history.map(\.role) == ["system", "user", "assistant", "user"])
        #expect(history[2].content == "KEPT: " + String(seenText.prefix(12)))
        // The second prompt reused the KV cache for the shared prefix (system message at least).
        let second = try #require(reports.all.dropFirst().first)
        #expect(second.reusedTokens > 10, "reused \(second.reusedTokens) of \(second.promptTokens)")
    }

    @Test("end of stream waits for the reply in flight")
    func endOfStreamHeld() throws {
        let (h, _) = try Self.harness("{ provider: llama/smollm2-135m, max_tokens: 24 }")
        h.push(Self.userTurn("Say hello."))
        h.push(.control(.endOfStream))
        #expect(h.run(timeout: .seconds(60)) { $0.contains { if case .control(.endOfStream) = $0 { true } else { false } } })
        let out = h.outputs
        let ended = try #require(out.index { if case .llm(.responseEnded) = $0 { true } else { false } })
        let eos = try #require(out.index { if case .control(.endOfStream) = $0 { true } else { false } })
        #expect(ended < eos)
    }

    @Test("config errors name what is wrong")
    func configErrors() throws {
        let missing = "/nonexistent/model.gguf"
        let error = #expect(throws: (any Error).self) {
            try Self.harness("{ provider: llama/smollm2-135m, model_path: \(missing) }")
        }
        #expect(String(describing: error).contains(missing))
        let unknown = #expect(throws: (any Error).self) { try Self.harness("llama/gpt-9") }
        #expect(String(describing: unknown).contains("gpt-9") && String(describing: unknown).contains("model_path"))
        // A file that is not a GGUF: a fatal start failure naming it, not a crash.
        let bogus = FileManager.default.temporaryDirectory.appendingPathComponent("bogus-\(UUID().uuidString).gguf")
        try Data("not a gguf".utf8).write(to: bogus)
        defer { try? FileManager.default.removeItem(at: bogus) }
        let load = #expect(throws: (any Error).self) { try Self.harness("{ provider: llama/smollm2-135m, model_path: \(bogus.path) }") }
        #expect(String(describing: load).contains(bogus.path))
    }

    @Test("the chat template is the model's (ChatML for SmolLM2), and multi-byte characters survive token splits")
    func templateAndText() throws {
        let files = try #require(InstalledLlama.files)
        let model = try LlamaChatModel(settings: .init(modelPath: try files.model("smollm2-135m").path))
        let prompt = try model.format([LlamaChatMessage(role: "system", content: "Be brief."),
                                       LlamaChatMessage(role: "user", content: "Hi")])
        #expect(prompt == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")

        var assembler = TokenTextAssembler()
        let bytes = Array("é🙂a".utf8)   // 2 + 4 + 1 bytes
        var out = ""
        for b in bytes { out += assembler.add([b]) }
        out += assembler.finish()
        #expect(out == "é🙂a")
        #expect(assembler.add(Array("🙂".utf8).prefix(3)) == "")
        #expect(assembler.finish() == "\u{FFFD}")
    }
}
#endif
