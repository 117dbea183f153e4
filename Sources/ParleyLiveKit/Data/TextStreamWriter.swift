// SPDX-License-Identifier: Apache-2.0

/// An outgoing text stream (livekit-protocol.md §9 "Data streams"): the header goes out when
/// the writer is made, every `write` becomes chunks of at most 15 000 bytes cut on UTF-8
/// boundaries, `close` sends the trailer (its attributes update the header's, which is how
/// `lk.transcription_final` flips to "true").
///
/// All packets are reliable DataPackets through the room, in order.
public final class TextStreamWriter: Sendable {
    public let topic: String
    let stream: OutgoingStream
    public var streamID: String { stream.streamID }

    /// Chunk payload limit (the Rust SDK's STREAM_CHUNK_SIZE).
    public static let maxChunkBytes = 15_000

    init(stream: OutgoingStream, topic: String) {
        self.stream = stream
        self.topic = topic
    }

    /// Appends text. Throws once closed.
    public func write(_ text: String) async throws(LiveKitConnectError) {
        for piece in Self.chunks(of: text) { try await stream.send(piece) }
    }

    /// Ends the stream; `reason` non-empty marks an abnormal end (an interruption, an error).
    public func close(attributes: [String: String] = [:], reason: String = "") async throws(LiveKitConnectError) {
        try await stream.close(attributes: attributes, reason: reason)
    }

    /// Splits UTF-8 text into pieces of at most `maxChunkBytes`, never inside a character's bytes.
    static func chunks(of text: String, limit: Int = maxChunkBytes) -> [[UInt8]] {
        let bytes = Array(text.utf8)
        var pieces: [[UInt8]] = []
        var start = 0
        while start < bytes.count {
            var end = min(start + limit, bytes.count)
            // Back off while `end` points at a continuation byte (10xxxxxx).
            while end < bytes.count, end > start, bytes[end] & 0xC0 == 0x80 { end -= 1 }
            pieces.append(Array(bytes[start..<end]))
            start = end
        }
        return pieces
    }
}
