// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import Foundation
import ParleyLiveKit

/// Where the LiveKit server is and the credentials for its server API (shared by `room` and
/// `dispatch`). The secret only signs per-call tokens; it is never printed.
struct LiveKitServerOptions: ParsableArguments {
    @Option(help: "Server URL, ws(s):// or http(s):// (default: $LIVEKIT_URL).") var url: String?
    @Option(help: "API key (default: $LIVEKIT_API_KEY).") var apiKey: String?
    @Option(help: "API secret (default: $LIVEKIT_API_SECRET).") var apiSecret: String?
    @Option(help: "Seconds to wait for each attempt.") var timeout: Int = 10
    @Option(help: "Attempts for calls that are safe to retry (refused connection, 503).") var attempts: Int = 3

    func client() throws -> TwirpClient {
        let env = ProcessInfo.processInfo.environment
        guard let url = url ?? env["LIVEKIT_URL"], !url.isEmpty else {
            throw CLIFailure(message: "no server URL: pass --url or set LIVEKIT_URL")
        }
        guard let key = apiKey ?? env["LIVEKIT_API_KEY"], !key.isEmpty else {
            throw CLIFailure(message: "no API key: pass --api-key or set LIVEKIT_API_KEY")
        }
        guard let secret = apiSecret ?? env["LIVEKIT_API_SECRET"], !secret.isEmpty else {
            throw CLIFailure(message: "no API secret: pass --api-secret or set LIVEKIT_API_SECRET")
        }
        do {
            return try TwirpClient(url: url, apiKey: key, apiSecret: secret,
                                   retry: RetryPolicy(maxAttempts: attempts), timeout: .seconds(max(1, timeout)))
        } catch { throw CLIFailure(message: error.description) }
    }
}

/// Runs one server-API call; a failure becomes the CLI's one-line error.
func serverCall<T>(_ body: () async throws(LiveKitAPIError) -> T) async throws -> T {
    do { return try await body() } catch { throw CLIFailure(message: error.description) }
}

/// Prints a value as sorted, pretty JSON (proto field names), so output can be piped to jq.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// `parley room create|list|delete|participants`: LiveKit RoomService from the command line.
struct RoomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "room",
        abstract: "Create, list and delete LiveKit rooms; list a room's participants.",
        discussion: "Uses LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET unless given as options.",
        subcommands: [Create.self, List.self, Delete.self, Participants.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a room (or show it if it exists).")
        @OptionGroup var server: LiveKitServerOptions
        @Argument(help: "Room name.") var name: String
        @Option(help: "Seconds to keep the room with nobody in it (server default 300).") var emptyTimeout: UInt32?
        @Option(help: "Seconds to keep the room after the last participant leaves (server default 20).")
        var departureTimeout: UInt32?
        @Option(help: "Participant limit (0 = none).") var maxParticipants: UInt32?
        @Option(help: "Room metadata.") var metadata: String?
        @Option(help: "Dispatch this agent when the room is created.") var agent: String?
        @Option(help: "Metadata (e.g. agent config JSON) for the dispatched agent.") var agentMetadata: String?

        func run() async throws {
            let rooms = RoomServiceClient(try server.client())
            let agents = agent.map { [RoomAgentDispatch(agentName: $0, metadata: agentMetadata)] }
            let room = try await serverCall { () async throws(LiveKitAPIError) in
                try await rooms.createRoom(name: name, emptyTimeout: emptyTimeout, departureTimeout: departureTimeout,
                                           maxParticipants: maxParticipants, metadata: metadata, agents: agents)
            }
            try printJSON(room)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List active rooms (all, or those named).")
        @OptionGroup var server: LiveKitServerOptions
        @Argument(help: "Only these rooms.") var names: [String] = []

        func run() async throws {
            let rooms = RoomServiceClient(try server.client())
            try printJSON(try await serverCall { () async throws(LiveKitAPIError) in try await rooms.listRooms(names: names) })
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a room, disconnecting everyone.")
        @OptionGroup var server: LiveKitServerOptions
        @Argument(help: "Room name.") var name: String

        func run() async throws {
            let rooms = RoomServiceClient(try server.client())
            try await serverCall { () async throws(LiveKitAPIError) in try await rooms.deleteRoom(name) }
            print("deleted room \(name)")
        }
    }

    struct Participants: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the participants of a room.")
        @OptionGroup var server: LiveKitServerOptions
        @Argument(help: "Room name.") var room: String

        func run() async throws {
            let rooms = RoomServiceClient(try server.client())
            try printJSON(try await serverCall { () async throws(LiveKitAPIError) in
                try await rooms.listParticipants(room: room)
            })
        }
    }
}
