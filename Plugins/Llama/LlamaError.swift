// SPDX-License-Identifier: Apache-2.0

/// A llama.cpp failure. Messages name files, sizes and llama.cpp's return codes, never the
/// conversation's text.
public enum LlamaError: Error, CustomStringConvertible, Equatable {
    /// The GGUF file is not on disk.
    case modelFileMissing(path: String)
    /// No `.local-engines` directory was found to take the default model from.
    case notInstalled(searched: [String])
    /// A model name other than the installed one, without a `model_path` to its file.
    case unknownModel(name: String, known: [String])
    /// llama.cpp could not load the file (not a GGUF, truncated, unsupported architecture).
    case modelLoadFailed(path: String)
    /// llama.cpp could not create an inference context (context size too large for memory…).
    case contextCreationFailed(contextTokens: Int)
    /// The model's chat template is not one llama.cpp's `llama_chat_apply_template` knows.
    case unsupportedChatTemplate(String)
    /// Tokenisation failed (llama.cpp's return code).
    case tokenizeFailed(code: Int32)
    /// Even the system message and the last user turn do not fit the context window.
    case promptTooLong(tokens: Int, contextTokens: Int)
    /// `llama_decode` failed (1: no KV slot, -1: bad batch, < -1: fatal).
    case decodeFailed(code: Int32)

    public var description: String {
        switch self {
        case .modelFileMissing(let path):
            return "llama.cpp: model file missing: \(path) (run scripts/install-local-engines, or fix model_path)"
        case .notInstalled(let searched):
            return "llama.cpp: local engines not installed (looked for \(searched.joined(separator: ", "))); "
                + "run scripts/install-local-engines or set PARLEY_LOCAL_ENGINES"
        case .unknownModel(let name, let known):
            return "llama.cpp: no installed model \"\(name)\" (installed: \(known.joined(separator: ", "))); "
                + "set model_path to its GGUF file"
        case .modelLoadFailed(let path):
            return "llama.cpp: could not load \(path) (not a GGUF file, truncated, or an unsupported architecture)"
        case .contextCreationFailed(let n):
            return "llama.cpp: could not create a context of \(n) tokens"
        case .unsupportedChatTemplate(let name):
            return "llama.cpp: the model's chat template (\(name)) is not supported by llama_chat_apply_template"
        case .tokenizeFailed(let code):
            return "llama.cpp: tokenisation failed (\(code))"
        case .promptTooLong(let tokens, let n):
            return "llama.cpp: the prompt needs \(tokens) tokens, more than the context of \(n) (raise context, or shorten instructions)"
        case .decodeFailed(let code):
            return "llama.cpp: llama_decode failed (\(code))"
        }
    }
}
