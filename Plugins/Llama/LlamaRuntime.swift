// SPDX-License-Identifier: Apache-2.0

import CLlama
import Foundation
import Logging

/// Process-wide llama.cpp set-up, done once before the first model loads.
///
/// llama.cpp prints every load step (tensor counts, buffer sizes, the chat template…) to
/// stderr through its log callback, which would bury `parley run`'s output; and an aborted
/// decode (an interruption, by design) logs as an error. Its lines go to swift-log at debug
/// level: what matters reaches the pipeline anyway, as a `LlamaError` naming the file and the
/// return code in a `StageFailure`.
enum LlamaRuntime {
    /// Swift runs a global's initialiser once, thread-safely, on first use.
    private static let initialised: Void = {
        llama_log_set({ level, text, _ in
            guard let text, level != GGML_LOG_LEVEL_DEBUG else { return }
            let line = String(cString: text).trimmingCharacters(in: .newlines)
            guard !line.isEmpty else { return }
            LlamaRuntime.logger.debug("\(line)")
        }, nil)
        llama_backend_init()
    }()

    static let logger = Logger(label: "parley.llm.llama")

    static func initialise() { _ = initialised }
}
