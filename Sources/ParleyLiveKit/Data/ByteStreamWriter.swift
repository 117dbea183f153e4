// SPDX-License-Identifier: Apache-2.0

/// An outgoing byte stream: a file, or raw PCM to an avatar (`lk.audio_stream`, one stream per
/// speech segment). `write` splits into chunks of at most 15 000 bytes.
public final class ByteStreamWriter: Sendable {
    public let topic: String
    let stream: OutgoingStream
    public var streamID: String { stream.streamID }

    init(stream: OutgoingStream, topic: String) {
        self.stream = stream
        self.topic = topic
    }

    public func write(_ bytes: [UInt8]) async throws(LiveKitConnectError) {
        var start = 0
        while start < bytes.count {
            let end = min(start + TextStreamWriter.maxChunkBytes, bytes.count)
            try await stream.send(Array(bytes[start..<end]))
            start = end
        }
    }

    public func close(attributes: [String: String] = [:], reason: String = "") async throws(LiveKitConnectError) {
        try await stream.close(attributes: attributes, reason: reason)
    }
}
