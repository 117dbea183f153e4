// SPDX-License-Identifier: Apache-2.0

import COpenSSL

/// OpenSSL reports failures on a per-thread error queue (ERR_get_error(3)); these helpers
/// empty it before a call, so SSL_get_error sees only that call's errors, and turn it into
/// a message after.
enum OpenSSLErrorQueue {
    static func clear() { ERR_clear_error() }

    /// Drains the queue into "reason; reason", or `fallback` when it is empty.
    static func drain(fallback: String) -> String {
        var messages: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while case let code = ERR_get_error(), code != 0 {
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? fallback : messages.joined(separator: "; ")
    }
}
