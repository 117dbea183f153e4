// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyWebSocket

/// The one place failure messages of streaming STT connections are worded. Each names the
/// provider first and then the cause, in words an operator can act on; none contains a
/// credential (the key travels in a header, which is never quoted, and `WebSocketError` texts
/// have URL credentials redacted already).
enum STTFailureText {
    static func connectFailed(_ provider: String, _ error: WebSocketError, timeoutMS: Int) -> String {
        switch error {
        case .upgradeRejected(let status, _) where status == 401 || status == 403:
            return "\(provider) refused the credentials: the WebSocket upgrade was answered with HTTP \(status) "
                + "(check the API key)"
        case .upgradeRejected(let status, _):
            return "\(provider) refused the connection: the WebSocket upgrade was answered with HTTP \(status)"
        case .timeout:
            return "\(provider) did not answer the WebSocket upgrade within \(timeoutMS) ms (connect timed out)"
        case .connectFailed(let text):
            return "could not connect to \(provider): \(text)"
        case .invalidURL(let text):
            return "\(provider) endpoint is not usable: \(text)"
        case .closed(let info):
            return "\(provider) connection ended during the upgrade: \(info)"
        case .messageTooLarge(let size):
            return "\(provider) connection refused a \(size)-byte message"
        }
    }

    /// The socket ended without us asking for it (or before the final results after we did).
    static func unexpectedEnd(_ provider: String, _ info: WebSocketCloseInfo?, afterEndOfStream: Bool) -> String {
        let when = afterEndOfStream ? " before delivering its final results" : " mid-stream"
        guard let info else { return "\(provider) connection ended\(when)" }
        if let code = info.code {
            return "\(provider) closed the stream\(when) with code \(code)" + (info.reason.isEmpty ? "" : " (\(info.reason))")
        }
        return "\(provider) connection dropped\(when) (no close frame" + (info.error.map { ": \($0)" } ?? "") + ")"
    }

    static func malformed(_ provider: String, _ error: STTProtocolError, message: String) -> String {
        "\(provider) sent malformed JSON (\(error.problem)): \(quote(message))"
    }

    static func providerError(_ provider: String, _ text: String) -> String {
        "\(provider) reported an error: \(text)"
    }

    static func noFinalResults(_ provider: String, endOfStreamMessage: String, timeoutMS: Int) -> String {
        "\(provider) did not deliver its final results within \(timeoutMS) ms after \(endOfStreamMessage)"
    }

    /// A provider message for a failure: one line, at most 200 characters.
    static func quote(_ text: String) -> String {
        let line = text.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "⏎")
        guard !line.isEmpty else { return "(empty message)" }
        return line.count > 200 ? "\"\(line.prefix(200))…\"" : "\"\(line)\""
    }
}
