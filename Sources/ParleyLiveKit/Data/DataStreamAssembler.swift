// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyLiveKitProto

/// Reassembles incoming data streams (livekit-protocol.md §9 "Data streams"): a header, chunks
/// by index, a trailer whose attributes update the header's. Bounded: a stream larger than
/// `maxBytes`, a chunk for an unknown stream, or more than `maxOpenStreams` at once is dropped
/// with a reason, never buffered without limit.
struct DataStreamAssembler {
    enum Completed: Equatable {
        case text(TextStreamMessage)
        case bytes(ByteStreamMessage)
    }

    struct Open {
        var header: Livekit_DataStream.Header
        var sender: String
        var chunks: [UInt64: Data] = [:]
        var bytes = 0
    }

    let maxBytes: Int
    let maxOpenStreams = 64
    private(set) var open: [String: Open] = [:]
    private(set) var dropped = 0

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    /// Feeds one stream packet; returns the finished stream on its trailer, or why it was dropped.
    mutating func receive(_ value: Livekit_DataPacket.OneOf_Value, sender: String) -> Result<Completed, StreamDrop>? {
        switch value {
        case .streamHeader(let header):
            guard open.count < maxOpenStreams else {
                dropped += 1
                return .failure(StreamDrop(streamID: header.streamID, reason: "more than \(maxOpenStreams) open streams"))
            }
            open[header.streamID] = Open(header: header, sender: sender)
            if header.hasTotalLength, header.totalLength > UInt64(maxBytes) {
                open[header.streamID] = nil
                dropped += 1
                return .failure(StreamDrop(streamID: header.streamID, reason: "announced \(header.totalLength) bytes, limit \(maxBytes)"))
            }
            return nil
        case .streamChunk(let chunk):
            guard var stream = open[chunk.streamID] else {
                return .failure(StreamDrop(streamID: chunk.streamID, reason: "chunk for an unknown stream"))
            }
            stream.bytes += chunk.content.count
            guard stream.bytes <= maxBytes else {
                open[chunk.streamID] = nil
                dropped += 1
                return .failure(StreamDrop(streamID: chunk.streamID, reason: "more than \(maxBytes) bytes"))
            }
            stream.chunks[chunk.chunkIndex] = chunk.content
            open[chunk.streamID] = stream
            return nil
        case .streamTrailer(let trailer):
            guard let stream = open.removeValue(forKey: trailer.streamID) else {
                return .failure(StreamDrop(streamID: trailer.streamID, reason: "trailer for an unknown stream"))
            }
            var content = Data()
            for index in stream.chunks.keys.sorted() { content.append(stream.chunks[index]!) }
            let header = stream.header
            var attributes = header.attributes
            for (key, value) in trailer.attributes { attributes[key] = value }
            if case .byteHeader(let byteHeader)? = header.contentHeader {
                return .success(.bytes(ByteStreamMessage(
                    streamID: header.streamID, topic: header.topic, name: byteHeader.name, mimeType: header.mimeType,
                    bytes: [UInt8](content), attributes: attributes, senderIdentity: stream.sender)))
            }
            return .success(.text(TextStreamMessage(
                streamID: header.streamID, topic: header.topic, text: String(decoding: content, as: UTF8.self),
                attributes: attributes, senderIdentity: stream.sender, endReason: trailer.reason)))
        default:
            return nil
        }
    }

    /// Forgets every open stream (their sender left, or we re-joined).
    mutating func reset() { open = [:] }
}

struct StreamDrop: Error, Equatable {
    var streamID: String
    var reason: String
}
