// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import ParleyLiveKit

/// `parley dispatch create|list|delete`: LiveKit AgentDispatchService from the command line, to
/// send a named agent (a `parley worker`) into a room by hand.
struct DispatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch",
        abstract: "Dispatch agents into LiveKit rooms; list and delete dispatches.",
        discussion: "Uses LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET unless given as options.",
        subcommands: [Create.self, List.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dispatch an agent into a room (created if absent).")
        @OptionGroup var server: LiveKitServerOptions
        @Option(help: "Room name.") var room: String
        @Option(help: "Agent name the worker registered with.") var agent: String
        @Option(help: "Job metadata (e.g. agent config overrides as JSON).") var metadata: String?

        func run() async throws {
            let client = AgentDispatchClient(try server.client())
            try printJSON(try await serverCall { () async throws(LiveKitAPIError) in
                try await client.createDispatch(room: room, agentName: agent, metadata: metadata)
            })
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a room's agent dispatches.")
        @OptionGroup var server: LiveKitServerOptions
        @Option(help: "Room name.") var room: String

        func run() async throws {
            let client = AgentDispatchClient(try server.client())
            try printJSON(try await serverCall { () async throws(LiveKitAPIError) in
                try await client.listDispatches(room: room)
            })
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an agent dispatch.")
        @OptionGroup var server: LiveKitServerOptions
        @Option(help: "Room name.") var room: String
        @Argument(help: "Dispatch id (AD_…).") var id: String

        func run() async throws {
            let client = AgentDispatchClient(try server.client())
            try printJSON(try await serverCall { () async throws(LiveKitAPIError) in
                try await client.deleteDispatch(id: id, room: room)
            })
        }
    }
}
