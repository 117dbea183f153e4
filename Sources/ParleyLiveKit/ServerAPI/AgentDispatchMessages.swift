// SPDX-License-Identifier: Apache-2.0

// Request and response bodies of livekit.AgentDispatchService (protocol
// livekit_agent_dispatch.proto), in proto field names.

struct CreateAgentDispatchRequest: Encodable {
    var agentName: String
    var room: String
    var metadata: String?
    enum CodingKeys: String, CodingKey { case room, metadata, agentName = "agent_name" }
}

/// ListDispatch (dispatch id optional) and DeleteDispatch (id required).
struct AgentDispatchRequest: Encodable {
    var dispatchId: String?
    var room: String
    enum CodingKeys: String, CodingKey { case room, dispatchId = "dispatch_id" }
}

struct ListAgentDispatchResponse: Decodable {
    var agentDispatches: [AgentDispatch]
    enum CodingKeys: String, CodingKey { case agentDispatches = "agent_dispatches" }
    init(from decoder: any Decoder) throws {
        agentDispatches = try decoder.container(keyedBy: CodingKeys.self).proto(.agentDispatches)
    }
}
