// SPDX-License-Identifier: Apache-2.0

/// livekit.AgentDispatchService (protocol livekit_agent_dispatch.proto; docs/livekit-protocol.md §2
/// "AgentDispatchService"): explicit dispatch of a named agent into a room. All three methods
/// need `roomAdmin` for the request's room.
public struct AgentDispatchClient: Sendable {
    public var twirp: TwirpClient

    public init(_ twirp: TwirpClient) { self.twirp = twirp }

    public init(url: String, apiKey: String, apiSecret: String, transport: any HTTPTransport = URLSessionTransport(),
                retry: RetryPolicy = .default, timeout: Duration = .seconds(10)) throws(LiveKitAPIError) {
        twirp = try TwirpClient(url: url, apiKey: apiKey, apiSecret: apiSecret, transport: transport, retry: retry,
                                timeout: timeout)
    }

    /// Asks the server to start `agentName` in `room` (created if absent, with auto-create on).
    public func createDispatch(room: String, agentName: String,
                               metadata: String? = nil) async throws(LiveKitAPIError) -> AgentDispatch {
        try await twirp.call(service: "AgentDispatchService", method: "CreateDispatch",
                             CreateAgentDispatchRequest(agentName: agentName, room: room, metadata: metadata),
                             grant: .admin(room: room))
    }

    /// The room's dispatches, or just `id`.
    public func listDispatches(room: String, id: String? = nil) async throws(LiveKitAPIError) -> [AgentDispatch] {
        try await twirp.call(service: "AgentDispatchService", method: "ListDispatch",
                             AgentDispatchRequest(dispatchId: id, room: room), grant: .admin(room: room),
                             as: ListAgentDispatchResponse.self).agentDispatches
    }

    /// Removes the dispatch and returns it.
    public func deleteDispatch(id: String, room: String) async throws(LiveKitAPIError) -> AgentDispatch {
        try await twirp.call(service: "AgentDispatchService", method: "DeleteDispatch",
                             AgentDispatchRequest(dispatchId: id, room: room), grant: .admin(room: room))
    }
}
