// SPDX-License-Identifier: Apache-2.0

internal import CLibWebSockets
import Logging

/// Routes libwebsockets' own log lines to swift-log, errors and warnings only.
///
/// lws logs through one process-global emit function; below warnings it narrates every
/// connection step, which is noise for an agent. Lines are redacted (an lws warning may quote
/// a request URI with its `access_token=`).
enum LWSLogBridge {
    static let logger = Logger(label: "parley.websocket.lws")

    /// Idempotent: lws keeps the last setting. Called once before the context is created.
    static func install() {
        lws_set_log_level(parley_lws_log_levels()) { level, line in
            guard let line else { return }
            var text = String(cString: line)
            while let last = text.last, last.isNewline || last == " " { text.removeLast() }
            let message = Logger.Message(stringLiteral: SecretRedaction.redact(text))
            if level & Int32(LLL_ERR) != 0 {
                LWSLogBridge.logger.error(message)
            } else {
                LWSLogBridge.logger.warning(message)
            }
        }
    }
}
