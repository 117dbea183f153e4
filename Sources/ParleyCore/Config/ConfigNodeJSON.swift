// SPDX-License-Identifier: Apache-2.0

import Foundation

extension ConfigNode {
    /// Builds a node tree from JSON-like values (used for per-session dispatch metadata); location file is the given label.
    ///
    /// Dispatch metadata is validated by the same code as file config, so it must produce the
    /// same positioned errors and keep key order, which `JSONSerialization` cannot (it loses
    /// positions and order). It is remote input: it is never environment-interpolated (a
    /// caller must not be able to read `${LIVEKIT_API_SECRET}` into an agent prompt), and
    /// nesting depth is bounded. Empty or all-whitespace data means "no metadata" and gives
    /// a null root, which optional reads treat as an empty mapping.
    public static func fromJSON(_ data: Data, label: String) throws -> ConfigNode {
        var parser = JSONConfigParser(bytes: Array(data), label: label)
        return try parser.parseDocument()
    }
}

/// A strict RFC 8259 parser that records where each value starts. Numbers keep their
/// literal text, like YAML scalars, so typed reads behave the same for both sources.
struct JSONConfigParser {
    static let maxDepth = 128

    private let bytes: [UInt8]
    private let label: String
    private var index = 0
    private var line = 1
    private var column = 1
    private var depth = 0

    init(bytes: [UInt8], label: String) {
        self.bytes = bytes
        self.label = label
    }

    mutating func parseDocument() throws -> ConfigNode {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ConfigError(location: .wholeFile(label), keyPath: "", problem: "is not valid UTF-8 text",
                              allowed: "UTF-8 encoded JSON")
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            index = 3
        }
        skipWhitespace()
        guard index < bytes.count else {
            return ConfigNode(kind: .null, location: SourceLocation(file: label, line: 1, column: 1), keyPath: "")
        }
        let root = try parseValue(keyPath: "")
        skipWhitespace()
        guard index >= bytes.count else {
            throw syntaxError(keyPath: "", "unexpected text after the JSON value", allowed: "a single JSON value")
        }
        return root
    }

    private var here: SourceLocation { SourceLocation(file: label, line: line, column: column) }

    private mutating func parseValue(keyPath: String) throws -> ConfigNode {
        let start = here
        guard let byte = peek() else {
            throw syntaxError(keyPath: keyPath, "unexpected end of input", allowed: "a JSON value")
        }
        switch byte {
        case UInt8(ascii: "{"):
            return try nested(keyPath: keyPath) { try $0.parseObject(keyPath: keyPath, start: start) }
        case UInt8(ascii: "["):
            return try nested(keyPath: keyPath) { try $0.parseArray(keyPath: keyPath, start: start) }
        case UInt8(ascii: "\""):
            let text = try parseString(keyPath: keyPath)
            return ConfigNode(kind: .scalar(text), location: start, keyPath: keyPath)
        case UInt8(ascii: "t"):
            try expectLiteral("true", keyPath: keyPath)
            return ConfigNode(kind: .scalar("true"), location: start, keyPath: keyPath)
        case UInt8(ascii: "f"):
            try expectLiteral("false", keyPath: keyPath)
            return ConfigNode(kind: .scalar("false"), location: start, keyPath: keyPath)
        case UInt8(ascii: "n"):
            try expectLiteral("null", keyPath: keyPath)
            return ConfigNode(kind: .null, location: start, keyPath: keyPath)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let text = try parseNumber(keyPath: keyPath)
            return ConfigNode(kind: .scalar(text), location: start, keyPath: keyPath)
        default:
            throw syntaxError(keyPath: keyPath, "unexpected character \(describe(byte))", allowed: "a JSON value")
        }
    }

    private mutating func nested(keyPath: String, _ body: (inout JSONConfigParser) throws -> ConfigNode) throws -> ConfigNode {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else {
            throw syntaxError(keyPath: keyPath, "nests too deeply", allowed: "at most \(Self.maxDepth) levels")
        }
        return try body(&self)
    }

    private mutating func parseObject(keyPath: String, start: SourceLocation) throws -> ConfigNode {
        advance()  // {
        var entries: [ConfigNode.Entry] = []
        var seen: [String: SourceLocation] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            advance()
            return ConfigNode(kind: .mapping([]), location: start, keyPath: keyPath)
        }
        while true {
            skipWhitespace()
            let keyLocation = here
            guard peek() == UInt8(ascii: "\"") else {
                throw syntaxError(keyPath: keyPath, "expected a string key", allowed: "\"key\": value")
            }
            let key = try parseString(keyPath: keyPath)
            let childPath = ConfigKeyPath.child(keyPath, key: key)
            if let first = seen[key] {
                throw ConfigError(location: keyLocation, keyPath: childPath,
                                  problem: "duplicate key, first defined at \(first.line):\(first.column)",
                                  allowed: "each key once per object")
            }
            seen[key] = keyLocation
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else {
                throw syntaxError(keyPath: childPath, "expected ':' after the key", allowed: "\"key\": value")
            }
            advance()
            skipWhitespace()
            let value = try parseValue(keyPath: childPath)
            entries.append(ConfigNode.Entry(key: key, keyLocation: keyLocation, value: value))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                advance()
            case UInt8(ascii: "}"):
                advance()
                return ConfigNode(kind: .mapping(entries), location: start, keyPath: keyPath)
            default:
                throw syntaxError(keyPath: keyPath, "expected ',' or '}'", allowed: "a JSON object")
            }
        }
    }

    private mutating func parseArray(keyPath: String, start: SourceLocation) throws -> ConfigNode {
        advance()  // [
        var items: [ConfigNode] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            advance()
            return ConfigNode(kind: .sequence([]), location: start, keyPath: keyPath)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(keyPath: ConfigKeyPath.element(keyPath, index: items.count)))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                advance()
            case UInt8(ascii: "]"):
                advance()
                return ConfigNode(kind: .sequence(items), location: start, keyPath: keyPath)
            default:
                throw syntaxError(keyPath: keyPath, "expected ',' or ']'", allowed: "a JSON array")
            }
        }
    }

    private mutating func parseString(keyPath: String) throws -> String {
        advance()  // opening quote
        var utf8: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw syntaxError(keyPath: keyPath, "has an unterminated string", allowed: "a closing \"")
            }
            switch byte {
            case UInt8(ascii: "\""):
                advance()
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                advance()
                try parseEscape(into: &utf8, keyPath: keyPath)
            case 0..<0x20:
                throw syntaxError(keyPath: keyPath, "has a raw control character in a string",
                                  allowed: "escapes such as \\n or \\u0009")
            default:
                utf8.append(byte)
                advance()
            }
        }
    }

    private mutating func parseEscape(into utf8: inout [UInt8], keyPath: String) throws {
        guard let byte = peek() else {
            throw syntaxError(keyPath: keyPath, "has an unterminated string", allowed: "a closing \"")
        }
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F,
            UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A,
            UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
        ]
        if let replacement = simple[byte] {
            utf8.append(replacement)
            advance()
            return
        }
        guard byte == UInt8(ascii: "u") else {
            throw syntaxError(keyPath: keyPath, "has an invalid escape \\\(describeBare(byte))",
                              allowed: "\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")
        }
        advance()
        var code = try parseHex4(keyPath: keyPath)
        if (0xD800..<0xDC00).contains(code) {
            guard peek() == UInt8(ascii: "\\"), peek(offset: 1) == UInt8(ascii: "u") else {
                throw syntaxError(keyPath: keyPath, "has an unpaired surrogate escape", allowed: "a \\uD800-\\uDBFF \\uDC00-\\uDFFF pair")
            }
            advance()
            advance()
            let low = try parseHex4(keyPath: keyPath)
            guard (0xDC00..<0xE000).contains(low) else {
                throw syntaxError(keyPath: keyPath, "has an unpaired surrogate escape", allowed: "a \\uD800-\\uDBFF \\uDC00-\\uDFFF pair")
            }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(code) else {
            throw syntaxError(keyPath: keyPath, "has an unpaired surrogate escape", allowed: "a \\uD800-\\uDBFF \\uDC00-\\uDFFF pair")
        }
        utf8.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    private mutating func parseHex4(keyPath: String) throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek(), let digit = hexValue(byte) else {
                throw syntaxError(keyPath: keyPath, "has an invalid \\u escape", allowed: "\\u followed by 4 hex digits")
            }
            value = value * 16 + digit
            advance()
        }
        return value
    }

    private func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private mutating func parseNumber(keyPath: String) throws -> String {
        let startIndex = index
        func isDigit(_ byte: UInt8?) -> Bool {
            guard let byte else { return false }
            return (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        let invalid = { [self] in
            syntaxError(keyPath: keyPath, "has an invalid number", allowed: "JSON numbers such as -12, 0.5 or 1e3")
        }
        if peek() == UInt8(ascii: "-") { advance() }
        if peek() == UInt8(ascii: "0") {
            advance()
        } else {
            guard isDigit(peek()) else { throw invalid() }
            while isDigit(peek()) { advance() }
        }
        if peek() == UInt8(ascii: ".") {
            advance()
            guard isDigit(peek()) else { throw invalid() }
            while isDigit(peek()) { advance() }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            advance()
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { advance() }
            guard isDigit(peek()) else { throw invalid() }
            while isDigit(peek()) { advance() }
        }
        return String(decoding: bytes[startIndex..<index], as: UTF8.self)
    }

    private mutating func expectLiteral(_ literal: String, keyPath: String) throws {
        for expected in literal.utf8 {
            guard peek() == expected else {
                throw syntaxError(keyPath: keyPath, "has an invalid literal", allowed: "true, false or null")
            }
            advance()
        }
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            advance()
        }
    }

    private func peek(offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    /// Moves one byte, keeping line/column in the same 1-based, scalar-counted form as YAML.
    private mutating func advance() {
        let byte = bytes[index]
        index += 1
        if byte == 0x0A {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            column += 1
        }
    }

    private func describe(_ byte: UInt8) -> String {
        "\"" + describeBare(byte) + "\""
    }

    private func describeBare(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : String(format: "\\u{%02X}", byte)
    }

    private func syntaxError(keyPath: String, _ problem: String, allowed: String) -> ConfigError {
        ConfigError(location: here, keyPath: keyPath, problem: "invalid JSON: \(problem)", allowed: allowed)
    }
}
