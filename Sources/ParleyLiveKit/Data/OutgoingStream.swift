// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyLiveKitProto
import Synchronization

/// The packets of one outgoing stream, header sent: numbered chunks, then the trailer.
final class OutgoingStream: Sendable {
    let streamID: String
    let room: Room
    let destinations: [String]
    let senderIdentity: String?
    /// The next chunk index; nil once closed.
    private let nextChunk = Mutex<UInt64?>(0)

    init(room: Room, streamID: String, destinations: [String], senderIdentity: String?) {
        self.room = room
        self.streamID = streamID
        self.destinations = destinations
        self.senderIdentity = senderIdentity
    }

    func send(_ content: [UInt8]) async throws(LiveKitConnectError) {
        let index: UInt64? = nextChunk.withLock { next in
            guard let current = next else { return nil }
            next = current + 1
            return current
        }
        guard let index else { throw .closed }
        var chunk = Livekit_DataStream.Chunk()
        chunk.streamID = streamID
        chunk.chunkIndex = index
        chunk.content = Data(content)
        var packet = Livekit_DataPacket()
        packet.streamChunk = chunk
        try await room.send(packet, reliable: true, destinations: destinations, senderIdentity: senderIdentity)
    }

    func close(attributes: [String: String], reason: String) async throws(LiveKitConnectError) {
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
}
