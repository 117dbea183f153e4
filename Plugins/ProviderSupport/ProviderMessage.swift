// SPDX-License-Identifier: Apache-2.0

/// Text from a provider (an error body, a malformed message) made fit for a `StageFailure`:
/// one line, bounded, and never carrying the key the stage authenticates with.
public enum ProviderMessage {
    /// `text` on one line (line breaks shown as ⏎), cut to `limit` characters, in quotes;
    /// `(empty)` style placeholder when there is nothing.
    public static func quote(_ text: String, limit: Int = 200, empty: String = "empty") -> String {
        let line = text.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "⏎")
        guard !line.isEmpty else { return "(\(empty))" }
        return line.count > limit ? "\"\(line.prefix(limit))…\"" : "\"\(line)\""
    }

    /// `text` with every occurrence of `secret` replaced by `<redacted>`. A provider may echo
    /// the key it rejected ("Invalid API key sk-…"); that must not reach logs or failures.
    public static func redacting(_ text: String, secret: String) -> String {
        // A very short "secret" would match ordinary text; keys are never that short.
        guard secret.count >= 4 else { return text }
        return text.replacingOccurrences(of: secret, with: "<redacted>")
    }
}
