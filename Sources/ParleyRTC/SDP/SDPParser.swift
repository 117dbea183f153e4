// SPDX-License-Identifier: Apache-2.0

extension SessionDescription {
    /// Parses SDP text (RFC 8866 §5, §9 grammar; JSEP attributes typed).
    ///
    /// Rules enforced, each reported with the line number and the line:
    /// - every line is `<letter>=<value>`; no empty lines except the text's final line end;
    /// - `v=0` first, then `o=`, then `s=` (RFC 8866 §5);
    /// - at least one `t=` before the first `m=`; `r=` only after a `t=`;
    /// - session lines (`v o s u e p t r z`) do not appear inside a media section;
    /// - unknown line types are rejected (RFC 8866 §5: a parser must not ignore them);
    /// - typed attributes must have valid values (see `SDPAttribute`).
    public init(parsing text: String) throws(SDPError) {
        var lines: [Substring] = Substring(text).split(byte: 0x0A, omittingEmpty: false)
        // A final line end leaves one empty piece; that is not an empty line.
        if lines.count > 1 && lines.last == "" { lines.removeLast() }

        var session = SessionDescription(origin: SDPOrigin(sessionID: "0", sessionVersion: 0), timings: [])
        var current: MediaDescription? = nil
        var sawTiming = false

        func fail(_ index: Int, _ reason: String) -> SDPError {
            let line = index < lines.count ? String(SessionDescription.stripCR(lines[index])) : ""
            return SDPError(lineNumber: index + 1, line: line, reason: reason)
        }

        for (index, raw) in lines.enumerated() {
            let line = SessionDescription.stripCR(raw)
            guard !line.isEmpty else { throw fail(index, "empty line") }
            let utf8 = line.utf8
            guard utf8.count >= 2, utf8[utf8.index(after: utf8.startIndex)] == UInt8(ascii: "="),
                let letter = utf8.first, letter >= UInt8(ascii: "a"), letter <= UInt8(ascii: "z")
            else {
                throw fail(index, "expected \"<type>=<value>\" with a lower-case letter type (RFC 8866 §5)")
            }
            let type = Character(UnicodeScalar(letter))
            let value = Substring(line.utf8.dropFirst(2))

            // The fixed opening: v=, o=, s= (RFC 8866 §5).
            switch index {
            case 0:
                guard type == "v" else { throw fail(index, "an SDP description starts with \"v=0\"") }
                guard value == "0" else { throw fail(index, "version \"\(value)\" is not 0 (RFC 8866 §5.1)") }
                continue
            case 1:
                guard type == "o" else { throw fail(index, "the second line must be the origin \"o=\"") }
                do { session.origin = try SDPOrigin(sdpValue: value) } catch { throw fail(index, error.reason) }
                continue
            case 2:
                guard type == "s" else { throw fail(index, "the third line must be the session name \"s=\"") }
                session.sessionName = String(value)
                continue
            default:
                break
            }

            do throws(SDPValueError) {
                if type == "m" {
                    guard sawTiming else { throw SDPValueError("no \"t=\" line before the first media section (RFC 8866 §5.9)") }
                    if let finished = current { session.media.append(finished) }
                    current = try MediaDescription(mediaLine: value)
                    continue
                }
                if current != nil {
                    // Media-level lines (RFC 8866 §5: i, c, b, k, a).
                    switch type {
                    case "a": current!.attributes.append(try SDPAttribute(sdpText: value))
                    case "c": current!.connections.append(try SDPConnection(sdpValue: value))
                    case "b": current!.bandwidths.append(try SDPBandwidth(sdpValue: value))
                    case "i":
                        guard current!.information == nil else { throw SDPValueError("a media section has at most one \"i=\" line") }
                        current!.information = String(value)
                    case "k":
                        guard current!.encryptionKey == nil else { throw SDPValueError("a media section has at most one \"k=\" line") }
                        current!.encryptionKey = String(value)
                    case "v", "o", "s", "u", "e", "p", "t", "r", "z":
                        throw SDPValueError("\"\(type)=\" is a session-level line and cannot appear inside a media section")
                    default:
                        throw SDPValueError("unknown line type \"\(type)=\" (RFC 8866 §5 forbids ignoring it)")
                    }
                    continue
                }
                // Session-level lines.
                switch type {
                case "a": session.attributes.append(try SDPAttribute(sdpText: value))
                case "t":
                    session.timings.append(try SDPTiming(sdpValue: value))
                    sawTiming = true
                case "r":
                    guard !session.timings.isEmpty else { throw SDPValueError("\"r=\" must follow a \"t=\" line") }
                    session.timings[session.timings.count - 1].repeats.append(String(value))
                case "c":
                    guard session.connection == nil else { throw SDPValueError("the session has at most one \"c=\" line") }
                    session.connection = try SDPConnection(sdpValue: value)
                case "b": session.bandwidths.append(try SDPBandwidth(sdpValue: value))
                case "i":
                    guard session.information == nil else { throw SDPValueError("the session has at most one \"i=\" line") }
                    session.information = String(value)
                case "u":
                    guard session.uri == nil else { throw SDPValueError("the session has at most one \"u=\" line") }
                    session.uri = String(value)
                case "e": session.emails.append(String(value))
                case "p": session.phones.append(String(value))
                case "z":
                    guard session.timeZones == nil else { throw SDPValueError("the session has at most one \"z=\" line") }
                    session.timeZones = String(value)
                case "k":
                    guard session.encryptionKey == nil else { throw SDPValueError("the session has at most one \"k=\" line") }
                    session.encryptionKey = String(value)
                case "v", "o", "s":
                    throw SDPValueError("\"\(type)=\" may appear only once, at the start")
                default:
                    throw SDPValueError("unknown line type \"\(type)=\" (RFC 8866 §5 forbids ignoring it)")
                }
            } catch {
                throw fail(index, error.reason)
            }
        }

        if lines.count < 3 {
            let missing = ["\"v=0\"", "the origin \"o=\"", "the session name \"s=\""][lines.count]
            throw fail(lines.count, "description ends before \(missing)")
        }
        guard sawTiming else {
            throw fail(lines.count, "description has no \"t=\" line (RFC 8866 §5.9)")
        }
        if let finished = current { session.media.append(finished) }
        self = session
    }

    /// Parses, for use with `try?`-free call sites that prefer a static function.
    public static func parse(_ text: String) throws(SDPError) -> SessionDescription {
        try SessionDescription(parsing: text)
    }

    private static func stripCR(_ line: Substring) -> Substring {
        line.utf8.last == 0x0D ? Substring(line.utf8.dropLast()) : line
    }

    // MARK: - Serialization

    /// CRLF-terminated SDP text in RFC 8866 §5 order: v o s i u e p c b t r z k a, then each
    /// media section's m i c b k a. Attributes are written in the order they are stored.
    public func serialize() -> String {
        var out = ""
        func line(_ type: Character, _ value: String) {
            out.append(type)
            out += "="
            out += value
            out += "\r\n"
        }
        line("v", String(version))
        line("o", origin.sdpValue)
        line("s", sessionName)
        if let information { line("i", information) }
        if let uri { line("u", uri) }
        for email in emails { line("e", email) }
        for phone in phones { line("p", phone) }
        if let connection { line("c", connection.sdpValue) }
        for bandwidth in bandwidths { line("b", bandwidth.sdpValue) }
        for timing in timings {
            line("t", timing.sdpValue)
            for repeatLine in timing.repeats { line("r", repeatLine) }
        }
        if let timeZones { line("z", timeZones) }
        if let encryptionKey { line("k", encryptionKey) }
        for attribute in attributes {
            out += attribute.line
            out += "\r\n"
        }
        for section in media {
            line("m", section.mediaLineValue)
            if let information = section.information { line("i", information) }
            for connection in section.connections { line("c", connection.sdpValue) }
            for bandwidth in section.bandwidths { line("b", bandwidth.sdpValue) }
            if let key = section.encryptionKey { line("k", key) }
            for attribute in section.attributes {
                out += attribute.line
                out += "\r\n"
            }
        }
        return out
    }
}
