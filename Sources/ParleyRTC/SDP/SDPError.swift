// SPDX-License-Identifier: Apache-2.0

/// Why an SDP text could not be parsed: always the 1-based line number, the line itself (as
/// received, without its line ending) and the rule it broke, e.g.
/// `SDP line 14 "a=rtpmap:111 opus": rtpmap needs "<pt> <encoding>/<clock rate>"`.
///
/// A session description comes from the remote peer (the LiveKit server, a browser), so the
/// error has to be good enough to debug interop from a log line alone.
public struct SDPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 1-based. For a rule about the whole description (no `t=` line) it is the line where
    /// the missing line was due, or one past the last line at the end of the text.
    public var lineNumber: Int
    /// The offending line without its CR/LF ("" past the end of the text).
    public var line: String
    /// What rule the line broke.
    public var reason: String

    public init(lineNumber: Int, line: String, reason: String) {
        self.lineNumber = lineNumber
        self.line = line
        self.reason = reason
    }

    public var description: String { "SDP line \(lineNumber) \"\(line)\": \(reason)" }
}

/// A reason without a position: thrown by the value parsers (which see one value, not the
/// line) and turned into an `SDPError` by the parser that knows the line.
struct SDPValueError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

// MARK: - Shared value-parsing helpers

enum SDPSyntax {
    /// Decimal digits only (no sign, no spaces), fitting in `T`.
    static func decimal<T: FixedWidthInteger>(_ text: Substring, as type: T.Type = T.self) -> T? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return T(text, radix: 10)
    }

    /// Splits on single spaces, ignoring runs and leading/trailing spaces (RFC 8866 asks for
    /// single spaces; real peers sometimes send more).
    static func fields(_ text: Substring) -> [Substring] {
        text.split(byte: 0x20, omittingEmpty: true)
    }

    /// RFC 8866 §9 `token`: the characters allowed in attribute names, mids, semantics.
    static func isToken(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isTokenByte)
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x21, 0x23...0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x30...0x39, 0x41...0x5A, 0x5E...0x7E:
            // ! # $ % & ' * + - . digits A-Z ^ _ ` a-z { | } ~
            true
        default:
            false
        }
    }

    /// RFC 8839 §5.4 `ice-char`: ALPHA / DIGIT / "+" / "/".
    static func isICEChars(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2B || byte == 0x2F
        }
    }

    /// Visible characters without spaces (RFC 8866 `non-ws-string`): ids such as msid parts.
    static func isNonWhitespace(_ text: Substring) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F }
    }
}

// SDP is split on ASCII bytes, not on Characters: "\r\n" is one Character in Swift, and a
// space or colon followed by a combining mark would merge with it into one Character.
extension Substring {
    /// The index of the first byte equal to `byte` (an ASCII delimiter, so a scalar boundary).
    func firstIndex(ofByte byte: UInt8) -> String.Index? {
        utf8.firstIndex(of: byte)
    }

    /// Splits on an ASCII delimiter byte.
    func split(byte: UInt8, omittingEmpty: Bool) -> [Substring] {
        utf8.split(separator: byte, omittingEmptySubsequences: omittingEmpty).map { Substring($0) }
    }

    /// Drops leading ASCII spaces.
    func droppingLeadingSpaces() -> Substring {
        Substring(utf8.drop { $0 == 0x20 })
    }
}
