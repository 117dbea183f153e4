// SPDX-License-Identifier: Apache-2.0

/// Splits a `text/event-stream` body into event payloads, fed with bytes as they arrive.
///
/// ```
///   "data: {…}\n\n" "data: {…" "…}\n\ndata: [DONE]\n\n"   (network reads, cut anywhere)
///        └──► "{…}"             └──► "{…}"   └──► "[DONE]"
/// ```
///
/// Only what chat completions use is kept: `data:` lines (several in one event are joined
/// with "\n", as the SSE spec says), a blank line ending the event; comments (`:`), `event:`,
/// `id:` and `retry:` are skipped. Lines are cut at byte level and decoded whole, so a
/// multi-byte character split across two reads is never mangled (a UTF-8 continuation byte
/// can't be a newline).
struct ServerSentEventParser {
    private var line: [UInt8] = []
    private var data: [String] = []

    init() { line.reserveCapacity(1_024) }

    /// Feeds bytes; returns the payloads of the events they completed, in order.
    mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [String] where Bytes.Element == UInt8 {
        var events: [String] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if let event = endLine() { events.append(event) }
            } else {
                line.append(byte)
            }
        }
        return events
    }

    /// The body ended: a last event without its blank line still counts (some servers omit it).
    mutating func finish() -> String? {
        if !line.isEmpty, let event = endLine() { return event }
        return dispatch()
    }

    private mutating func endLine() -> String? {
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty { return dispatch() }
        guard line.starts(with: Self.dataField) else { return nil }
        var value = line.dropFirst(Self.dataField.count)
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        data.append(String(decoding: value, as: UTF8.self))
        return nil
    }

    private mutating func dispatch() -> String? {
        guard !data.isEmpty else { return nil }
        defer { data.removeAll(keepingCapacity: true) }
        return data.count == 1 ? data[0] : data.joined(separator: "\n")
    }

    private static let dataField = Array("data:".utf8)
}
