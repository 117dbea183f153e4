// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

extension LlamaChatStage {
    /// `llama/smollm2-135m` (the default model `scripts/install-local-engines` installs), or
    /// `llama/NAME` with `model_path:` pointing at any chat GGUF llama.cpp can run.
    public static let registration = StageRegistration(
        provider: "llama", kinds: [.llm],
        summary: "llama.cpp in-process (local LLM; default SmolLM2-135M-Instruct Q4_1, needs scripts/install-local-engines)",
        options: options,
        license: "MIT (llama.cpp), Apache-2.0 (SmolLM2 model)"
    ) { request in
        LlamaChatStage(configuration: try configuration(from: request), conversation: request.conversation,
                       turnManaged: request.turnManaged)
    }

    static let options: [OptionSpec] = [
        .string("model_path", default: nil,
                help: "GGUF file; default: the installed file of the descriptor's model (smollm2-135m)"),
        .string("instructions", default: nil,
                help: "system message; default: the agent's instructions (agent.instructions or the session's prompt)"),
        // One thread each by default: on 2 cores shared with STT, TTS and the pipeline loop, a
        // second llama.cpp thread that gets descheduled stalls every step at ggml's barrier
        // (measured 9 tok/s with 2 threads vs 90 with 1 while other work ran; 2 win only on an idle machine).
        .int("threads", 1 ... 64, default: 1, help: "threads for generating tokens"),
        .int("batch_threads", 1 ... 64, default: 1, help: "threads for the prompt (prefill)"),
        .int("max_tokens", 1 ... 4096, default: 96, help: "longest reply in tokens"),
        .double("temperature", 0 ... 2, default: 0, help: "0 = greedy (deterministic); above, top-k/top-p sampling"),
        .int("context", 256 ... 131_072, default: 2048, help: "context window (KV cache) in tokens"),
        .int("max_history_turns", 1 ... 10_000, default: 20, help: "user turns (with their replies) kept in the context"),
        .bool("text_frames", default: true, help: "also emit each complete sentence as agent text (what TTS stages speak)"),
        .bool("first_clause_at_comma", default: true,
              help: "the first piece of a reply may end at a comma, so TTS starts speaking earlier"),
    ]

    static func configuration(from request: StageRequest) throws -> Configuration {
        let o = request.options
        let modelName = request.descriptor.model ?? LlamaModelFiles.defaultModel
        let path: String
        if let explicit = o.string("model_path"), !explicit.isEmpty {
            path = explicit
        } else {
            path = try LlamaModelFiles.locate(environment: request.environment).model(modelName).path
        }
        // Checked here too (the engine checks again when it loads), so a config names a bad
        // path when it is read rather than when the pipeline starts.
        guard FileManager.default.fileExists(atPath: path) else { throw LlamaError.modelFileMissing(path: path) }
        var model = LlamaChatModel.Settings(modelPath: path)
        model.threads = o.int("threads")
        model.batchThreads = o.int("batch_threads")
        model.temperature = o.double("temperature")
        model.contextTokens = o.int("context")
        return Configuration(
            modelName: modelName, model: model,
            instructions: o.string("instructions") ?? request.agentInstructions ?? defaultInstructions,
            maxTokens: o.int("max_tokens"), maxHistoryTurns: o.int("max_history_turns"),
            emitsSentences: o.bool("text_frames"), firstClauseAtComma: o.bool("first_clause_at_comma"))
    }
}
