// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyAudio
import ParleyCore
import ParleyLiveKit
import ParleyRTC
import ParleyTestSupport
import XCTest

/// `parley worker` as an operator runs it, against the LiveKit protocol test server: a user joins
/// and speaks, the worker's pipeline (VAD → loopback) answers through the room, the user hears
/// the agent; SIGTERM then drains and exits 0.
final class WorkerCommandTests: XCTestCase {
    func testWorkerServesADispatchedRoomEndToEnd() async throws {
        let server = try LiveKitTestServerProcess()
        defer { server.stop() }
        let url = "ws://127.0.0.1:\(server.port)"
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("parley-worker-\(getpid()).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let worker = Process()
        worker.executableURL = CLITests.binary
        worker.currentDirectoryURL = CLITests.packageRoot
        worker.arguments = ["worker", "--config", "Examples/worker.yaml", "--url", url, "--host-addresses", "127.0.0.1"]
        worker.standardError = log
        worker.standardOutput = log
        try worker.run()
        defer {
            if worker.isRunning { kill(worker.processIdentifier, SIGKILL) }
            try? log.close()
        }
        func workerLog() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

        _ = try await server.poll("/_test/workers") { json -> Bool? in
            ((json["workers"] as? [[String: Any]])?.contains { $0["agent_name"] as? String == "parley-echo" } == true) ? true : nil
        }
        // The user joins and dispatches the agent, as the session backend would.
        var grant = VideoGrant()
        grant.roomJoin = true
        grant.room = "cli-room"
        grant.canPublish = true
        grant.canSubscribe = true
        grant.canPublishData = true
        var token = AccessToken(apiKey: "devkey", apiSecret: "secret", identity: "user-1")
        token.video = grant
        var options = RoomOptions()
        options.hostAddresses = [IPAddress("127.0.0.1")!]
        options.audioTrackName = "mic"
        let user = try await Room.connect(url: url, token: try token.jwt(), options: options)
        let heard = Locked<(agentFrames: Int, loud: Int)>((0, 0))
        user.onRemoteAudio { track, frame in
            guard track.participantIdentity.hasPrefix("agent-") else { return }
            heard.withLock {
                $0.agentFrames += 1
                if frame.levelDBFS > -35 { $0.loud += 1 }
            }
        }
        let dispatches = try AgentDispatchClient(url: "http://127.0.0.1:\(server.port)", apiKey: "devkey", apiSecret: "secret")
        _ = try await dispatches.createDispatch(room: "cli-room", agentName: "parley-echo")
        _ = try await server.poll("/_test/jobs", timeout: .seconds(30)) { json -> Bool? in
            ((json["jobs"] as? [[String: Any]])?.contains { $0["status"] as? String == "JS_RUNNING" } == true) ? true : nil
        }

        // Speak the shipped question (16 kHz → 48 kHz), then silence so the VAD ends the turn.
        let wav = try WAVReader.read(path: CLITests.packageRoot.appendingPathComponent("Examples/question.wav").path)
        var speech = [Int16]()
        speech.reserveCapacity(wav.samples.count * 3 + 48_000 * 3)
        for i in 0..<wav.samples.count {
            let a = Int(wav.samples[i]), b = Int(wav.samples[min(i + 1, wav.samples.count - 1)])
            for k in 0..<3 { speech.append(Int16(a + (b - a) * k / 3)) }
        }
        speech += [Int16](repeating: 0, count: 48_000 * 4)
        let localTrack = await user.localAudioTrack
        let track = try XCTUnwrap(localTrack)
        let clock = ContinuousClock()
        var next = clock.now
        for start in stride(from: 0, to: speech.count - 960, by: 960) {
            track.push(Array(speech[start..<start + 960]))
            next += .milliseconds(20)
            try await Task.sleep(until: next, clock: clock)
            if heard.withLock({ $0.loud }) > 50 { break }
        }
        let deadline = clock.now + .seconds(10)
        while heard.withLock({ $0.loud }) < 50, clock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let result = heard.withLock { $0 }
        XCTAssertGreaterThanOrEqual(result.loud, 50, "the user never heard the agent's reply (\(result)); worker log:\n\(workerLog())")

        // The user leaves: the job ends with SUCCESS; SIGTERM drains the idle worker and it exits 0.
        await user.disconnect()
        _ = try await server.poll("/_test/jobs", timeout: .seconds(20)) { json -> Bool? in
            ((json["jobs"] as? [[String: Any]])?.contains { $0["status"] as? String == "JS_SUCCESS" } == true) ? true : nil
        }
        kill(worker.processIdentifier, SIGTERM)
        let exitDeadline = clock.now + .seconds(15)
        while worker.isRunning, clock.now < exitDeadline { try await Task.sleep(for: .milliseconds(50)) }
        XCTAssertFalse(worker.isRunning, "worker did not exit after SIGTERM")
        XCTAssertEqual(worker.terminationStatus, 0, workerLog())
        XCTAssertFalse(workerLog().contains("eyJ"), "the worker logged a token")
    }
}
