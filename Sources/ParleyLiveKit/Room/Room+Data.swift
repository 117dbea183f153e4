// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyLiveKitProto
import ParleyRTC
import SwiftProtobuf

/// Data packets (livekit-protocol.md §4 "DataPacket encoding", §9): we send on the publisher
/// connection's `_reliable`/`_lossy` channels and receive on the subscriber's.
extension Room {
    // MARK: - Channels

    /// Subscriber channels are opened by the server; each message is one DataPacket. Called on
    /// the SCTP thread: packets are queued to the actor in arrival order.
    nonisolated func receiveData(on channel: DataChannel) {
        let reliable = channel.label != "_lossy"
        let inbound = inboundPackets
        channel.onMessage = { message in
            guard case .binary(let bytes) = message else { return }
            inbound.yield((bytes, reliable))
        }
    }

    /// Consumes inbound packets on the actor, one at a time.
    func startInboundLoop() {
        guard inboundLoop == nil else { return }
        let stream = inboundStream
        inboundLoop = Task { [weak self] in
            for await (bytes, reliable) in stream {
                guard let self else { return }
                await self.handlePacket(bytes, reliable: reliable)
            }
        }
    }

    /// The publisher's own `_reliable` (ordered, reliable) and `_lossy` (unordered, no
    /// retransmissions) channels (§4 "Data channels").
    func openOutboundChannels() {
        guard let pc = publisher else { return }
        do {
            let reliable = try pc.createDataChannel(label: "_reliable")
            let lossy = try pc.createDataChannel(label: "_lossy", ordered: false, maxRetransmits: 0)
            reliable.onOpen = { [weak self] in
                guard let self else { return }
                Task { await self.outboundOpened() }
            }
            reliableOut = reliable
            lossyOut = lossy
        } catch {
            logger.error("cannot open the publisher data channels", metadata: ["error": "\(error)"])
        }
    }

    func outboundOpened() {
        outboundReady = true
        let held = heldPackets
        heldPackets = []
        for packet in held { transmit(packet.bytes, reliable: packet.reliable) }
    }

    // MARK: - Sending

    /// Sends one DataPacket. Reliable packets get the next sequence number (starting at 1) and
    /// are kept for a resume. Packets wait for the publisher channels to open.
    func send(
        _ packet: Livekit_DataPacket, reliable: Bool, destinations: [String] = [], senderIdentity: String? = nil
    ) throws(LiveKitConnectError) {
        guard connectionState != .disconnected else { throw .closed }
        var packet = packet
        packet.kind = reliable ? .reliable : .lossy
        packet.participantIdentity = senderIdentity ?? localParticipant?.identity ?? ""
        packet.destinationIdentities = destinations
        if reliable {
            dataSequence &+= 1
            packet.sequence = dataSequence
        }
        guard let bytes: [UInt8] = try? packet.serializedBytes() else {
            throw .protocolViolation("cannot encode a DataPacket")
        }
        let limit = 64_000  // below the server's 65535 max-message-size, as the Rust SDK does
        guard bytes.count <= limit else {
            throw .protocolViolation("a DataPacket of \(bytes.count) bytes exceeds \(limit); use a stream")
        }
        if reliable {
            reliableHistory.append((packet.sequence, bytes))
            if reliableHistory.count > 256 { reliableHistory.removeFirst(reliableHistory.count - 256) }
        }
        guard outboundReady else {
            heldPackets.append((bytes, reliable))
            if publisher != nil, !publisherNegotiated, !publisherNegotiating { try negotiatePublisher() }
            return
        }
        transmit(bytes, reliable: reliable)
    }

    func transmit(_ bytes: [UInt8], reliable: Bool) {
        guard let channel = reliable ? reliableOut : (lossyOut ?? reliableOut) else {
            heldPackets.append((bytes, reliable))
            return
        }
        do {
            try channel.send(binary: bytes)
        } catch {
            logger.warning("data packet not sent", metadata: ["error": "\(error)", "bytes": "\(bytes.count)"])
        }
    }

    /// After a resume: the server saw reliable packets up to `sequence`; send the rest again.
    func resendReliable(after sequence: UInt32) {
        let missing = reliableHistory.filter { $0.sequence > sequence }
        guard !missing.isEmpty else { return }
        logger.info("resending reliable data after resume", metadata: ["packets": "\(missing.count)"])
        for packet in missing { transmit(packet.bytes, reliable: true) }
    }

    // MARK: - Public data API

    /// Sends a user packet (`UserPacket`) to everyone, or to `destinations` (identities).
    public func publishData(
        _ payload: [UInt8], topic: String? = nil, reliable: Bool = true, destinations: [String] = []
    ) throws(LiveKitConnectError) {
        var user = Livekit_UserPacket()
        user.payload = Data(payload)
        if let topic { user.topic = topic }
        var packet = Livekit_DataPacket()
        packet.user = user
        try send(packet, reliable: reliable, destinations: destinations)
    }

    /// Opens a text stream on `topic` and sends its header. `senderIdentity` sends on behalf of
    /// another participant (agents do this for user transcriptions; the server allows it for
    /// agents only and marks the header `generated`).
    public func streamText(
        topic: String, attributes: [String: String] = [:], destinations: [String] = [],
        senderIdentity: String? = nil, totalLength: Int? = nil
    ) throws(LiveKitConnectError) -> TextStreamWriter {
        var text = Livekit_DataStream.TextHeader()
        text.operationType = .create
        let stream = try openStream(
            topic: topic, mimeType: "text/plain", content: .textHeader(text), attributes: attributes,
            destinations: destinations, senderIdentity: senderIdentity, totalLength: totalLength)
        return TextStreamWriter(stream: stream, topic: topic)
    }

    /// Opens a byte stream (`name` is the file name, or any label) and sends its header.
    public func streamBytes(
        topic: String, name: String, mimeType: String = "application/octet-stream", attributes: [String: String] = [:],
        destinations: [String] = [], totalLength: Int? = nil
    ) throws(LiveKitConnectError) -> ByteStreamWriter {
        var bytes = Livekit_DataStream.ByteHeader()
        bytes.name = name
        let stream = try openStream(
            topic: topic, mimeType: mimeType, content: .byteHeader(bytes), attributes: attributes,
            destinations: destinations, senderIdentity: nil, totalLength: totalLength)
        return ByteStreamWriter(stream: stream, topic: topic)
    }

    func openStream(
        topic: String, mimeType: String, content: Livekit_DataStream.Header.OneOf_ContentHeader,
        attributes: [String: String], destinations: [String], senderIdentity: String?, totalLength: Int?
    ) throws(LiveKitConnectError) -> OutgoingStream {
        let streamID = UUID().uuidString.lowercased()
        var header = Livekit_DataStream.Header()
        header.streamID = streamID
        header.timestamp = Int64(Date().timeIntervalSince1970 * 1000)
        header.topic = topic
        header.mimeType = mimeType
        header.attributes = attributes
        if let totalLength { header.totalLength = UInt64(totalLength) }
        header.contentHeader = content
        var packet = Livekit_DataPacket()
        packet.streamHeader = header
        try send(packet, reliable: true, destinations: destinations, senderIdentity: senderIdentity)
        return OutgoingStream(room: self, streamID: streamID, destinations: destinations, senderIdentity: senderIdentity)
    }

    /// Sends a whole text as one stream (header, chunks, trailer). Returns the stream id.
    @discardableResult
    public func sendText(
        _ text: String, topic: String, attributes: [String: String] = [:], destinations: [String] = []
    ) async throws(LiveKitConnectError) -> String {
        let writer = try streamText(
            topic: topic, attributes: attributes, destinations: destinations, totalLength: text.utf8.count)
        try await writer.write(text)
        try await writer.close()
        return writer.streamID
    }

    /// Sets our own participant attributes (`UpdateParticipantMetadata`); agents publish
    /// `lk.agent.state` this way (§8 "Agent state and chat").
    public func setAttributes(_ attributes: [String: String]) throws(LiveKitConnectError) {
        guard let client = signal else { throw .closed }
        metadataRequestID &+= 1
        var update = Livekit_UpdateParticipantMetadata()
        update.attributes = attributes
        update.requestID = metadataRequestID
        var request = Livekit_SignalRequest()
        request.updateMetadata = update
        client.send(request)
    }

    // MARK: - Receiving

    func handlePacket(_ bytes: [UInt8], reliable: Bool) async {
        let packet: Livekit_DataPacket
        do {
            packet = try Livekit_DataPacket(serializedBytes: bytes)
        } catch {
            logger.warning("dropping an undecodable data packet", metadata: ["bytes": "\(bytes.count)"])
            return
        }
        let sender = packet.participantIdentity
        // Reliable dedup (§4): a sequence not above the last one from that sender is a resend.
        if reliable, packet.sequence != 0 {
            let key = packet.participantSid.isEmpty ? sender : packet.participantSid
            if let last = lastSeenSequence[key], packet.sequence <= last { return }
            lastSeenSequence[key] = packet.sequence
        }
        switch packet.value {
        case .user(let user)?:
            eventSink.yield(.dataReceived(DataMessage(
                payload: [UInt8](user.payload), topic: user.hasTopic ? user.topic : nil, senderIdentity: sender,
                reliable: reliable)))
        case .rpcRequest(let request)?:
            handleRpcRequest(request, from: sender)
        case .rpcAck(let ack)?:
            pendingRpcs[ack.requestID]?.acknowledged = true
        case .rpcResponse(let response)?:
            handleRpcResponse(response)
        case .streamHeader?, .streamChunk?, .streamTrailer?:
            switch incomingStreams.receive(packet.value!, sender: sender) {
            case .success(.text(let message))?:
                eventSink.yield(.textStreamReceived(message))
            case .success(.bytes(let message))?:
                eventSink.yield(.byteStreamReceived(message))
            case .failure(let drop)?:
                logger.warning("dropping a data stream", metadata: ["stream": "\(drop.streamID)", "reason": "\(drop.reason)"])
            case nil:
                break
            }
        default:
            break
        }
    }
}
