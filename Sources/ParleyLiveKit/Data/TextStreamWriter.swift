// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyLiveKitProto
import Synchronization

/// An outgoing text stream (livekit-protocol.md §9 "Data streams"): the header goes out when
/// the writer is made, every `write` becomes chunks of at most 15 000 bytes cut on UTF-8
/// boundaries, `close` sends the trailer (its attributes update the header's, which is how
/// `lk.transcription_final` flips to "true").
///
/// All packets are reliable DataPackets through the room, in order.
public final class TextStreamWriter: Sendable {
    public let streamID: String
    public let topic: String
    let room: Room
    let destinations: [String]
    let senderIdentity: String?
    private let nextChunk = Mutex<UInt64?>(0)

    /// Chunk payload limit (the Rust SDK's STREAM_CHUNK_SIZE).
    public static let maxChunkBytes = 15_000

    init(room: Room, streamID: String, topic: String, destinations: [String], senderIdentity: String?) {
        self.room = room
        self.streamID = streamID
        self.topic = topic
        self.destinations = destinations
        self.senderIdentity = senderIdentity
    }

    /// Appends text. Throws once closed.
    public func write(_ text: String) async throws(LiveKitConnectError) {
        for piece in Self.chunks(of: text) {
            let index: UInt64? = nextChunk.withLock { next in
                guard let current = next else { return nil }
                next = current + 1
                return current
            }
            guard let index else { throw .closed }
            var chunk = Livekit_DataStream.Chunk()
            chunk.streamID = streamID
            chunk.chunkIndex = index
            chunk.content = Data(piece)
            var packet = Livekit_DataPacket()
            packet.streamChunk = chunk
            try await room.send(packet, reliable: true, destinations: destinations, senderIdentity: senderIdentity)
        }
    }

    /// Ends the stream; `reason` non-empty marks an abnormal end (an interruption, an error).
    public func close(attributes: [String: String] = [:], reason: String = "") async throws(LiveKitConnectError) {
        let wasOpen = nextChunk.withLock { next -> Bool in
            defer { next = nil }
            return next != nil
        }
        guard wasOpen else { return }
        var trailer = Livekit_DataStream.Trailer()
        trailer.streamID = streamID
        trailer.reason = reason
        trailer.attributes = attributes
        var packet = Livekit_DataPacket()
        packet.streamTrailer = trailer
        try await room.send(packet, reliable: true, destinations: destinations, senderIdentity: senderIdentity)
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
