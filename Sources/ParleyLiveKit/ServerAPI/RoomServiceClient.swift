// SPDX-License-Identifier: Apache-2.0

import Foundation

/// livekit.RoomService (protocol livekit_room.proto; grants per docs/livekit-protocol.md §2
/// "RoomService"): create/list/delete need `roomCreate`/`roomList`; everything on one room needs
/// `roomAdmin` for exactly that room, which is what each call's token carries.
public struct RoomServiceClient: Sendable {
    public var twirp: TwirpClient

    public init(_ twirp: TwirpClient) { self.twirp = twirp }

    public init(url: String, apiKey: String, apiSecret: String, transport: any HTTPTransport = URLSessionTransport(),
                retry: RetryPolicy = .default, timeout: Duration = .seconds(10)) throws(LiveKitAPIError) {
        twirp = try TwirpClient(url: url, apiKey: apiKey, apiSecret: apiSecret, transport: transport, retry: retry,
                                timeout: timeout)
    }

    private func call<Rq: Encodable, Rs: Decodable>(_ method: String, _ request: Rq, _ grant: VideoGrant,
                                                    _ response: Rs.Type = Rs.self) async throws(LiveKitAPIError) -> Rs {
        try await twirp.call(service: "RoomService", method: method, request, grant: grant)
    }

    /// Creates the room, or returns it unchanged if it exists. nil fields take the server defaults
    /// (empty 300 s, departure 20 s). `agents` are dispatched when the room is created.
    public func createRoom(name: String, emptyTimeout: UInt32? = nil, departureTimeout: UInt32? = nil,
                           maxParticipants: UInt32? = nil, metadata: String? = nil,
                           agents: [RoomAgentDispatch]? = nil) async throws(LiveKitAPIError) -> RoomInfo {
        try await call("CreateRoom", CreateRoomRequest(name: name, emptyTimeout: emptyTimeout,
                                                       departureTimeout: departureTimeout,
                                                       maxParticipants: maxParticipants, metadata: metadata,
                                                       agents: agents), VideoGrant(roomCreate: true))
    }

    /// All active rooms, or only those named.
    public func listRooms(names: [String] = []) async throws(LiveKitAPIError) -> [RoomInfo] {
        try await call("ListRooms", ListRoomsRequest(names: names), VideoGrant(roomList: true), ListRoomsResponse.self)
            .rooms
    }

    /// Disconnects everyone and closes the room; `not_found` if it does not exist.
    public func deleteRoom(_ name: String) async throws(LiveKitAPIError) {
        _ = try await call("DeleteRoom", RoomRequest(room: name), VideoGrant(roomCreate: true), ProtoEmpty.self)
    }

    public func listParticipants(room: String) async throws(LiveKitAPIError) -> [ParticipantInfo] {
        try await call("ListParticipants", RoomRequest(room: room), .admin(room: room), ListParticipantsResponse.self)
            .participants
    }

    public func getParticipant(room: String, identity: String) async throws(LiveKitAPIError) -> ParticipantInfo {
        try await call("GetParticipant", RoomParticipantIdentity(room: room, identity: identity), .admin(room: room))
    }

    /// Disconnects the participant. Tokens issued (`nbf`) before `revokeTokensIssuedBefore` (Unix s)
    /// stop working; nil leaves the server default (now + 1 min).
    public func removeParticipant(room: String, identity: String,
                                  revokeTokensIssuedBefore: Int64? = nil) async throws(LiveKitAPIError) {
        _ = try await call("RemoveParticipant", RoomParticipantIdentity(room: room, identity: identity,
                                                                        revokeTokenTs: revokeTokensIssuedBefore),
                           .admin(room: room), ProtoEmpty.self)
    }

    /// Changes what is given; in `attributes` an empty value deletes the key. `permission` replaces
    /// the participant's whole permission.
    public func updateParticipant(room: String, identity: String, metadata: String? = nil, name: String? = nil,
                                  attributes: [String: String]? = nil,
                                  permission: ParticipantPermission? = nil) async throws(LiveKitAPIError) -> ParticipantInfo {
        try await call("UpdateParticipant", UpdateParticipantRequest(room: room, identity: identity, metadata: metadata,
                                                                     permission: permission, name: name,
                                                                     attributes: attributes), .admin(room: room))
    }

    public func mutePublishedTrack(room: String, identity: String, trackSid: String,
                                   muted: Bool) async throws(LiveKitAPIError) -> TrackInfo {
        try await call("MutePublishedTrack", MuteRoomTrackRequest(room: room, identity: identity, trackSid: trackSid,
                                                                  muted: muted), .admin(room: room),
                       MuteRoomTrackResponse.self).track
    }

    public func updateSubscriptions(room: String, identity: String, trackSids: [String],
                                    subscribe: Bool) async throws(LiveKitAPIError) {
        _ = try await call("UpdateSubscriptions", UpdateSubscriptionsRequest(room: room, identity: identity,
                                                                             trackSids: trackSids, subscribe: subscribe),
                           .admin(room: room), ProtoEmpty.self)
    }

    /// Sends a data packet from the server to everyone, or to `destinationIdentities`. `nonce` must
    /// be nil or 16 bytes (else `invalid_argument`). Not idempotent: a retry after a refused
    /// connection or a 503 is safe, nothing else is retried.
    public func sendData(room: String, data: Data, kind: DataPacketKind = .reliable,
                         destinationIdentities: [String] = [], topic: String? = nil,
                         nonce: Data? = nil) async throws(LiveKitAPIError) {
        _ = try await call("SendData", SendDataRequest(room: room, data: data, kind: kind,
                                                       destinationIdentities: destinationIdentities, topic: topic,
                                                       nonce: nonce), .admin(room: room), ProtoEmpty.self)
    }

    public func updateRoomMetadata(room: String, metadata: String) async throws(LiveKitAPIError) -> RoomInfo {
        try await call("UpdateRoomMetadata", UpdateRoomMetadataRequest(room: room, metadata: metadata),
                       .admin(room: room))
    }
}
