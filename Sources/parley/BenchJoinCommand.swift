// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import Foundation
import ParleyCore
import ParleyLiveKit
import ParleyRTC

/// `parley bench join`: how long from "join this room" to the first audio packet we publish —
/// WebSocket upgrade, JoinResponse, both PeerConnections (ICE, DTLS, SCTP), AddTrack, the
/// publisher offer/answer, and the first Opus packet on the wire. Repeated joins, median and p95.
struct BenchJoinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Join → first published audio packet against a LiveKit server, median and p95.",
        discussion: "scripts/bench-join runs it against the LiveKit protocol test server on loopback.")

    @Option(help: "LiveKit URL.") var url: String
    @Option(help: "API key.") var apiKey: String = "devkey"
    @Option(help: "API secret.") var apiSecret: String = "secret"
    @Option(help: "Joins to measure (after one warm-up join).") var runs = 20
    @Option(help: "Gather candidates only on these addresses (comma-separated).") var hostAddresses: String = "127.0.0.1"

    func run() async throws {
        guard runs > 0 else { throw CLIFailure(message: "--runs must be positive", exitCode: 2) }
        var options = RoomOptions()
        options.audioTrackName = "bench"
        options.hostAddresses = hostAddresses.split(separator: ",").compactMap { IPAddress(String($0)) }
        var connected: [Double] = []
        var firstPacket: [Double] = []
        for run in 0...runs {
            var grant = VideoGrant()
            grant.roomJoin = true
            grant.room = "bench-\(getpid())-\(run)"
            grant.canPublish = true
            grant.canSubscribe = true
            grant.canPublishData = true
            var token = AccessToken(apiKey: apiKey, apiSecret: apiSecret, identity: "bench-\(run)")
            token.video = grant
            let jwt = try token.jwt()
            let clock = ContinuousClock()
            let start = clock.now
            let room: Room
            do {
                room = try await Room.connect(url: url, token: jwt, options: options)
            } catch {
                throw CLIFailure(message: "join \(run) failed: \(error)")
            }
            let joined = clock.now - start
            // Frames pushed from the moment the track exists; the first one sent is the figure.
            let track = await room.localAudioTrack
            let silence = [Int16](repeating: 0, count: 960)
            var sentAt: Duration?
            let deadline = start + .seconds(20)
            while sentAt == nil, clock.now < deadline {
                track?.push(silence)
                for _ in 0..<20 {
                    if let packets = await room.stats.publisher?.audioSender?.packetsSent, packets > 0 {
                        sentAt = clock.now - start
                        break
                    }
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
            await room.disconnect()
            guard let sentAt else { throw CLIFailure(message: "join \(run): no audio packet sent within 20 s") }
            if run > 0 {  // run 0 warms up (certificate generation, DNS, JIT paths)
                connected.append(Self.ms(joined))
                firstPacket.append(Self.ms(sentAt))
            }
        }
        func row(_ name: String, _ values: [Double]) -> String {
            let sorted = values.sorted()
            let p50 = sorted[sorted.count / 2]
            let p95 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.95).rounded(.up)) - 1)]
            let figures = [sorted.first!, p50, p95, sorted.last!].map { String(format: "%8.1f", $0) }.joined(separator: " ")
            return name.padding(toLength: 34, withPad: " ", startingAt: 0) + " " + figures
        }
        print("LiveKit join on \(url), \(runs) runs (ms)")
        print(String(repeating: " ", count: 35) + ["min", "p50", "p95", "max"].map { $0.leftPadded(8) }.joined(separator: " "))
        print(row("join → connected (subscriber up)", connected))
        print(row("join → first audio packet sent", firstPacket))
    }

    static func ms(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
