// SPDX-License-Identifier: Apache-2.0

import CLlama
import Foundation
import Synchronization

/// One chat message as the model's chat template sees it.
public struct LlamaChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// A chat model run in-process by llama.cpp (MIT): loads a GGUF file, formats a conversation
/// with the model's own chat template, and streams the reply token by token.
///
/// ```
///   messages ─► llama_chat_apply_template ─► tokens ─┬─ common prefix with the KV cache: kept
///                                                    └─ the rest: llama_decode (prefill, batched)
///            ─► loop: sample ─► EOG? ─► piece bytes ─► TokenTextAssembler ─► onText ─► llama_decode(token)
/// ```
///
/// **KV cache reuse.** The cache keeps the tokens of the last prompt and reply. A new prompt
/// that starts the same way (the system message and the earlier turns, which is every turn of a
/// conversation) only decodes what follows the common prefix: the prefill cost of a turn is
/// its new text, not the whole history.
///
/// **Cancellation.** `generate` checks its `DecodeGate` before every token and stops (the
/// "stop at the next token" of an interruption); llama.cpp's abort callback checks the same
/// gate between graph nodes, so a long prefill stops early too (its cached part is dropped).
///
/// Threading: not `Sendable`; confine an instance to one thread (the stage's `ProviderWorker`).
public final class LlamaChatModel {
    public struct Settings: Sendable {
        public var modelPath: String
        /// KV cache size in tokens (prompt + reply); 0 takes the model's training context.
        public var contextTokens: Int = 2048
        /// Threads for generating tokens (one at a time: memory-bound, more threads help little).
        public var threads: Int = 1
        /// Threads for the prompt (batched: compute-bound; a second thread helps on an idle machine).
        public var batchThreads: Int = 1
        /// 0 = greedy (deterministic); otherwise top-k 40 / top-p 0.95 sampling at this temperature.
        public var temperature: Double = 0
        public var seed: UInt32 = 42

        public init(modelPath: String) { self.modelPath = modelPath }
    }

    /// How a reply ended.
    public enum Finish: String, Sendable {
        /// End-of-generation token (the model finished its turn).
        case stop
        /// `maxTokens` reached.
        case length
        /// The gate closed (interruption, newer turn, shutdown).
        case cancelled
    }

    /// What one `generate` did, for logs and measurements.
    public struct Report: Sendable {
        public var finish: Finish
        public var promptTokens = 0
        /// Prompt tokens found in the KV cache (not decoded again).
        public var reusedTokens = 0
        public var generatedTokens = 0
        /// Generated tokens whose text `onText` accepted (the rest were refused or held back).
        public var acceptedTokens = 0
        /// Decoding the prompt's tokens after the reused prefix.
        public var prefill: Duration = .zero
        /// The whole call: template, tokenisation, prefill and generation.
        public var total: Duration = .zero
    }

    public let settings: Settings
    private let model: OpaquePointer
    private let context: OpaquePointer
    private let vocab: OpaquePointer
    private let sampler: UnsafeMutablePointer<llama_sampler>
    private let template: String
    public let contextTokens: Int
    /// The tokens whose keys/values are in the KV cache (sequence 0), in order.
    private var cached: [llama_token] = []
    private var pieceBuffer = [CChar](repeating: 0, count: 256)

    public init(settings: Settings) throws {
        LlamaRuntime.initialise()
        guard FileManager.default.fileExists(atPath: settings.modelPath) else {
            throw LlamaError.modelFileMissing(path: settings.modelPath)
        }
        self.settings = settings
        var modelParams = llama_model_default_params()
        modelParams.n_gpu_layers = 0
        guard let model = llama_model_load_from_file(settings.modelPath, modelParams) else {
            throw LlamaError.modelLoadFailed(path: settings.modelPath)
        }
        var contextParams = llama_context_default_params()
        contextParams.n_ctx = UInt32(max(0, settings.contextTokens))
        contextParams.n_batch = contextParams.n_ctx == 0 ? 512 : min(contextParams.n_ctx, 512)
        contextParams.n_threads = Int32(max(1, settings.threads))
        contextParams.n_threads_batch = Int32(max(1, settings.batchThreads))
        contextParams.no_perf = true
        guard let context = llama_init_from_model(model, contextParams) else {
            llama_model_free(model)
            throw LlamaError.contextCreationFailed(contextTokens: settings.contextTokens)
        }
        self.model = model
        self.context = context
        vocab = llama_model_get_vocab(model)
        contextTokens = Int(llama_n_ctx(context))

        let chain = llama_sampler_chain_init(llama_sampler_chain_default_params())!
        if settings.temperature <= 0 {
            llama_sampler_chain_add(chain, llama_sampler_init_greedy())
        } else {
            llama_sampler_chain_add(chain, llama_sampler_init_top_k(40))
            llama_sampler_chain_add(chain, llama_sampler_init_top_p(0.95, 1))
            llama_sampler_chain_add(chain, llama_sampler_init_temp(Float(settings.temperature)))
            llama_sampler_chain_add(chain, llama_sampler_init_dist(settings.seed))
        }
        sampler = chain
        // The GGUF's own template (a Jinja text llama.cpp recognises by its markers), else ChatML.
        template = llama_model_chat_template(model, nil).map { String(cString: $0) } ?? "chatml"
    }

    deinit {
        llama_sampler_free(sampler)
        llama_free(context)
        llama_model_free(model)
    }

    /// Runs one short reply to a dummy turn and throws it away, so that the first real turn
    /// does not pay for llama.cpp's lazy set-up (graph allocation for the batched and the
    /// single-token paths, weight repacking, page faults on the mapped file). The system
    /// message stays in the KV cache, so the first real turn only decodes its own words.
    @discardableResult
    public func warmUp(instructions: String) throws -> Duration {
        let start = ContinuousClock.now
        var messages: [LlamaChatMessage] = []
        if !instructions.isEmpty { messages.append(LlamaChatMessage(role: "system", content: instructions)) }
        messages.append(LlamaChatMessage(role: "user", content: "Hello."))
        _ = try generate(messages, maxTokens: 2, gate: .alwaysOpen) { _ in true }
        return .now - start
    }

    /// Generates the assistant's reply to `messages` (oldest first; an optional leading
    /// "system" message). `onText` receives the text as it completes (whole UTF-8 characters)
    /// and returns false to stop. The oldest turns are left out when the conversation does not
    /// fit the context with room for `maxTokens`.
    public func generate(_ messages: [LlamaChatMessage], maxTokens: Int, gate: DecodeGate,
                         onText: (String) -> Bool) throws -> Report {
        let started = ContinuousClock.now
        let prompt = try fittedPrompt(messages, maxTokens: maxTokens)
        guard !prompt.isEmpty else { throw LlamaError.tokenizeFailed(code: 0) }
        var report = Report(finish: .cancelled, promptTokens: prompt.count)

        // Keep the common prefix in the KV cache; at least the last prompt token is decoded
        // again, because sampling needs its logits.
        var keep = zip(cached, prompt).prefix { $0 == $1 }.count
        keep = min(keep, prompt.count - 1)
        if keep < cached.count {
            if !llama_memory_seq_rm(llama_get_memory(context), 0, llama_pos(keep), -1) {
                // Memories that can't drop a tail (recurrent models) start over.
                llama_memory_clear(llama_get_memory(context), true)
                keep = 0
            }
            cached.removeSubrange(keep...)
        }
        report.reusedTokens = keep

        llama_sampler_reset(sampler)
        let abortData = Unmanaged.passUnretained(gate).toOpaque()
        llama_set_abort_callback(context, { data in
            guard let data else { return false }
            return !Unmanaged<DecodeGate>.fromOpaque(data).takeUnretainedValue().isOpen
        }, abortData)
        defer { llama_set_abort_callback(context, nil, nil) }

        report = try withExtendedLifetime(gate) {
            try stream(prompt, from: keep, maxTokens: maxTokens, gate: gate, report: report, onText: onText)
        }
        report.total = .now - started
        return report
    }

    /// Prefill from `keep`, then sample, hand out text and decode token by token.
    private func stream(_ prompt: [llama_token], from keep: Int, maxTokens: Int, gate: DecodeGate, report: Report,
                        onText: (String) -> Bool) throws -> Report {
        let started = ContinuousClock.now
        var report = report
        guard try decode(Array(prompt[keep...]), gate: gate) else { return report }
        report.prefill = .now - started

        var text = TokenTextAssembler()
        while report.generatedTokens < maxTokens {
            guard gate.isOpen else { return report }
            let token = llama_sampler_sample(sampler, context, -1)
            if llama_vocab_is_eog(vocab, token) {
                let rest = text.finish()
                if !rest.isEmpty, !onText(rest) { return report }
                report.finish = .stop
                return report
            }
            report.generatedTokens += 1
            let piece = text.add(try pieceBytes(token))
            if !piece.isEmpty, !onText(piece) { return report }
            report.acceptedTokens += 1
            // The last token is decoded only if another one may follow.
            guard report.generatedTokens < maxTokens else { break }
            guard try decode([token], gate: gate) else { return report }
        }
        let rest = text.finish()
        if !rest.isEmpty, !onText(rest) { return report }
        report.finish = .length
        return report
    }

    /// The prompt's tokens, dropping the oldest user turns (with their replies) until the
    /// prompt plus `maxTokens` fits the context.
    private func fittedPrompt(_ messages: [LlamaChatMessage], maxTokens: Int) throws -> [llama_token] {
        var messages = messages
        while true {
            let tokens = try tokenize(try format(messages))
            if tokens.count + maxTokens <= contextTokens { return tokens }
            let firstTurn = messages.firstIndex { $0.role != "system" }
            let secondUser = firstTurn.flatMap { first in
                messages[(first + 1)...].firstIndex { $0.role == "user" }
            }
            guard let firstTurn, let secondUser else {
                throw LlamaError.promptTooLong(tokens: tokens.count + maxTokens, contextTokens: contextTokens)
            }
            messages.removeSubrange(firstTurn..<secondUser)
        }
    }

    /// The conversation as one prompt string, ending with the assistant's turn opener.
    func format(_ messages: [LlamaChatMessage]) throws -> String {
        // llama_chat_message holds C strings; strdup keeps them valid for both template calls.
        let roles = messages.map { strdup($0.role)! }
        let contents = messages.map { strdup($0.content)! }
        defer { (roles + contents).forEach { free($0) } }
        let chat = zip(roles, contents).map { llama_chat_message(role: $0, content: $1) }
        var capacity = Int32(2 * messages.reduce(0) { $0 + $1.content.utf8.count + $1.role.utf8.count } + 256)
        while true {
            var buffer = [CChar](repeating: 0, count: Int(capacity))
            let n = llama_chat_apply_template(template, chat, chat.count, true, &buffer, capacity)
            guard n >= 0 else {
                throw LlamaError.unsupportedChatTemplate(template.count > 40 ? String(template.prefix(40)) + "…" : template)
            }
            if n <= capacity {
                return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            capacity = n
        }
    }

    /// Tokens of a formatted prompt; its special markers (`<|im_start|>`…) become control tokens.
    func tokenize(_ text: String) throws -> [llama_token] {
        let length = Int32(text.utf8.count)
        var tokens = [llama_token](repeating: 0, count: Int(length) + 8)
        var n = llama_tokenize(vocab, text, length, &tokens, Int32(tokens.count), true, true)
        if n < 0, n != Int32.min {
            tokens = [llama_token](repeating: 0, count: Int(-n))
            n = llama_tokenize(vocab, text, length, &tokens, Int32(tokens.count), true, true)
        }
        guard n >= 0 else { throw LlamaError.tokenizeFailed(code: n) }
        return Array(tokens.prefix(Int(n)))
    }

    /// The bytes of a token's text (control tokens render as nothing).
    private func pieceBytes(_ token: llama_token) throws -> [UInt8] {
        var n = llama_token_to_piece(vocab, token, &pieceBuffer, Int32(pieceBuffer.count), 0, false)
        if n < 0 {
            pieceBuffer = [CChar](repeating: 0, count: Int(-n))
            n = llama_token_to_piece(vocab, token, &pieceBuffer, Int32(pieceBuffer.count), 0, false)
        }
        guard n >= 0 else { throw LlamaError.tokenizeFailed(code: n) }
        return pieceBuffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }
    }

    /// Decodes `tokens` after the cached ones, in batches of at most `n_batch`. Returns false
    /// if the gate closed (llama.cpp aborted); the cache then keeps only what it held before.
    private func decode(_ tokens: [llama_token], gate: DecodeGate) throws -> Bool {
        let batchSize = Int(llama_n_batch(context))
        var start = 0
        while start < tokens.count {
            guard gate.isOpen else { return false }
            var chunk = Array(tokens[start..<min(tokens.count, start + batchSize)])
            let result = chunk.withUnsafeMutableBufferPointer { buf in
                llama_decode(context, llama_batch_get_one(buf.baseAddress, Int32(buf.count)))
            }
            switch result {
            case 0:
                cached += chunk
                start += chunk.count
            case 2:
                // Aborted: llama.cpp keeps the micro-batches it finished; drop them so the cache
                // matches `cached` again.
                _ = llama_memory_seq_rm(llama_get_memory(context), 0, llama_pos(cached.count), -1)
                return false
            default:
                _ = llama_memory_seq_rm(llama_get_memory(context), 0, llama_pos(cached.count), -1)
                throw LlamaError.decodeFailed(code: result)
            }
        }
        return true
    }
}

/// Whether a generation is still wanted: the stage bumps its generation counter on an
/// interruption or a newer turn, and a generation started under an older value stops.
/// Read lock-free from the worker and from llama.cpp's abort callback.
public final class DecodeGate: Sendable {
    private let counter: GenerationCounter?
    private let expected: UInt64

    public init(counter: GenerationCounter, expected: UInt64) {
        self.counter = counter
        self.expected = expected
    }

    private init() {
        counter = nil
        expected = 0
    }

    /// A gate that never closes (warm-up, tests).
    public static let alwaysOpen = DecodeGate()

    public var isOpen: Bool { counter.map { $0.current == expected } ?? true }
}

/// A counter bumped to cancel whatever generation was started under its previous value.
public final class GenerationCounter: Sendable {
    private let value = Atomic<UInt64>(0)
    public init() {}
    public var current: UInt64 { value.load(ordering: .acquiring) }
    public func bump() { value.add(1, ordering: .releasing) }
}
