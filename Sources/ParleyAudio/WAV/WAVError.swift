// SPDX-License-Identifier: Apache-2.0

/// Why a WAV file could not be read or written.
///
/// `reason` is a short, precise phrase ("fmt chunk is 12 bytes, expected at
/// least 16") so a log line tells the user exactly what is wrong with which
/// file without a debugger.
public struct WAVError: Error, Sendable, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// `"<path>: not a usable WAV file: <reason>"`, always on one line: paths
    /// may legally contain newlines, and a multi-line log entry would be
    /// misread as several errors.
    public var description: String {
        Self.oneLine("\(path): not a usable WAV file: \(reason)")
    }

    private static func oneLine(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            // Other line/paragraph separators would also break the line.
            case "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}":
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
