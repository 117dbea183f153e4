// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import Foundation
import ParleyLiveKit

/// `parley token`: mints a LiveKit access token for joining a room (prints only the JWT, so
/// it can be piped), or verifies one with `--verify TOKEN` (prints its claims).
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint (or verify) a LiveKit access token.",
        discussion: "Credentials come from --api-key/--api-secret or LIVEKIT_API_KEY/LIVEKIT_API_SECRET.")

    @Option(help: "API key (default: $LIVEKIT_API_KEY).") var apiKey: String?
    @Option(help: "API secret (default: $LIVEKIT_API_SECRET).") var apiSecret: String?
    @Option(help: "Participant identity.") var identity: String?
    @Option(help: "Room to join.") var room: String?
    @Option(help: "Display name.") var name: String?
    @Option(help: "Participant metadata.") var metadata: String?
    @Option(help: "Lifetime in seconds (default 6 h).") var ttl: Int64 = 6 * 3600
    @Flag(inversion: .prefixedNo, help: "May publish tracks.") var publish = true
    @Flag(inversion: .prefixedNo, help: "May subscribe to tracks.") var subscribe = true
    @Option(help: "Dispatch this agent when the join creates the room.") var agent: String?
    @Option(help: "Metadata (e.g. agent config JSON) for the dispatched agent.") var agentMetadata: String?
    @Option(help: "Verify this token instead of minting one.") var verify: String?

    func run() throws {
        let env = ProcessInfo.processInfo.environment
        guard let key = apiKey ?? env["LIVEKIT_API_KEY"], !key.isEmpty else {
            throw CLIFailure(message: "no API key: pass --api-key or set LIVEKIT_API_KEY")
        }
        guard let secret = apiSecret ?? env["LIVEKIT_API_SECRET"], !secret.isEmpty else {
            throw CLIFailure(message: "no API secret: pass --api-secret or set LIVEKIT_API_SECRET")
        }
        if let verify {
            let claims: ClaimGrants
            do { claims = try TokenVerifier(apiKey: key, apiSecret: secret).verify(verify) } catch {
                throw CLIFailure(message: "\(error)")
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(claims), as: UTF8.self))
            return
        }
        guard let identity, !identity.isEmpty else { throw CLIFailure(message: "--identity is required to mint a token") }
        guard let room, !room.isEmpty else { throw CLIFailure(message: "--room is required to mint a token") }
        var token = AccessToken(apiKey: key, apiSecret: secret, identity: identity)
        token.name = name
        token.metadata = metadata
        token.ttl = ttl
        token.video = .join(room: room, canPublish: publish, canSubscribe: subscribe, canPublishData: publish)
        if let agent {
            token.roomConfig = RoomConfiguration(agents: [RoomAgentDispatch(agentName: agent, metadata: agentMetadata)])
        }
        do { print(try token.jwt()) } catch { throw CLIFailure(message: "\(error)") }
    }
}
