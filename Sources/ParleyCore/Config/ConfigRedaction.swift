// SPDX-License-Identifier: Apache-2.0

/// Decides how a config value may appear in a message.
///
/// Error messages end up in logs, crash reports and support tickets, so anything that might
/// be a credential is replaced by `<redacted>` before it is ever formatted. The rule is
/// deliberately broad (any key path or environment variable name mentioning a secret-ish
/// word): a wrongly hidden value costs a little debugging, a leaked key costs a rotation.
public enum ConfigRedaction {
    /// Case-insensitive fragments that mark a key path or variable name as sensitive.
    public static let sensitiveFragments: [String] = ["secret", "key", "token", "password"]

    /// Shown instead of a sensitive value.
    public static let redacted = "<redacted>"

    /// Longer values are cut so that one bad value cannot flood a log line.
    public static let maxDisplayLength = 60

    /// Whether a key path (or a variable name) names something that may hold a secret.
    public static func isSensitive(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return sensitiveFragments.contains { lowered.contains($0) }
    }

    /// The display form of a scalar: quoted and escaped so that empty strings, spaces and
    /// control characters stay visible on a single line, and truncated if long.
    public static func display(_ raw: String, sensitive: Bool) -> String {
        if sensitive {
            return redacted
        }
        let count = raw.count
        let shown = count > maxDisplayLength ? String(raw.prefix(maxDisplayLength)) : raw
        let quoted = "\"" + escape(shown) + "\""
        return count > maxDisplayLength ? "\(quoted)... (\(count) characters)" : quoted
    }

    /// Escapes a string for display inside double quotes.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F
                    || scalar.properties.generalCategory == .lineSeparator
                    || scalar.properties.generalCategory == .paragraphSeparator
                    || scalar.value == 0x85 {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
