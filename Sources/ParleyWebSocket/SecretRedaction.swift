// SPDX-License-Identifier: Apache-2.0

/// Masks credentials carried in URL query parameters before a URL (or any text that may
/// quote one, such as an lws log line) reaches a log or an error.
///
/// LiveKit signalling puts the JWT in `?access_token=`, and cloud speech providers accept keys
/// as `?api_key=` / `?token=`; any of those in a log file is a leaked credential. Values of
/// the parameters below are replaced by `<redacted>` wherever `name=` follows `?`, `&`, `;`,
/// whitespace or the start of the text. Names are matched case-insensitively.
enum SecretRedaction {
    static let sensitiveNames: Set<String> = [
        "access_token", "token", "api_key", "apikey", "key", "secret", "password", "auth",
        "authorization", "signature", "sig", "jwt",
    ]
    static let placeholder = "<redacted>"

    static func redact(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: "=")) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let atBoundary = i == 0 || isSeparator(bytes[i - 1])
            if atBoundary, let valueStart = sensitiveValueStart(bytes, at: i) {
                out.append(contentsOf: bytes[i..<valueStart])
                out.append(contentsOf: placeholder.utf8)
                var j = valueStart
                while j < bytes.count, !endsValue(bytes[j]) { j += 1 }
                i = j
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// If a sensitive `name=` starts at `start`, the index just past the `=`.
    private static func sensitiveValueStart(_ bytes: [UInt8], at start: Int) -> Int? {
        var j = start
        while j < bytes.count, j - start <= 32, isNameByte(bytes[j]) { j += 1 }
        guard j > start, j < bytes.count, bytes[j] == UInt8(ascii: "=") else { return nil }
        let name = String(decoding: bytes[start..<j], as: UTF8.self).lowercased()
        return sensitiveNames.contains(name) ? j + 1 : nil
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
    }

    private static func isSeparator(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "?") || b == UInt8(ascii: "&") || b == UInt8(ascii: ";") || b == UInt8(ascii: " ")
            || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "'")
    }

    private static func endsValue(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "&") || b == UInt8(ascii: "#") || b == UInt8(ascii: ";") || b == UInt8(ascii: " ")
            || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") || b == UInt8(ascii: "\"")
            || b == UInt8(ascii: "'")
    }
}
