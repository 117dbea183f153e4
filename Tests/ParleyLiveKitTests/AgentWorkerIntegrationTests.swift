// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleyRTC
import ParleyTestSupport
import XCTest

@testable import ParleyLiveKit

/// The agent worker protocol against the test server: register, explicit dispatch by name,
/// join with the job token, RUNNING then SUCCESS, termination, load reports.
final class AgentWorkerIntegrationTests: XCTestCase {
    var server: LiveKitTestServerProcess!

    override func setUpWithError() throws { server = try LiveKitTestServerProcess() }
    override func tearDown() {
        server?.stop()
        server = nil
    }

    func options(agentName: String) -> WorkerOptions {
        var options = WorkerOptions(url: "ws://127.0.0.1:\(server.port)", apiKey: "devkey", apiSecret: "secret")
        options.agentName = agentName
        options.statusInterval = .milliseconds(500)
        options.roomOptions.hostAddresses = [IPAddress("127.0.0.1")!]
        return options
    }

    func jobStatus(_ id: String) async throws -> String? {
        let jobs = try await server.admin("/_test/jobs")["jobs"] as? [[String: Any]] ?? []
        return jobs.first { $0["id"] as? String == id }?["status"] as? String
    }

    func testExplicitDispatchRunsTheJobAndReportsRunningThenSuccess() async throws {
        let seen = Locked<[JobInfo]>([])
        let statusWhileRunning = Locked<String?>(nil)
        let server = self.server!
        let worker = try AgentWorker(options: options(agentName: "parley-test")) { context in
            seen.withLock { $0.append(context.job) }
            let sid = await context.room.localParticipant?.identity
            XCTAssertEqual(sid, context.job.participantIdentity)
            // While the entry runs, the server must already have RUNNING.
            let jobs = try await server.admin("/_test/jobs")["jobs"] as? [[String: Any]] ?? []
            statusWhileRunning.withLock { $0 = jobs.first { $0["id"] as? String == context.job.id }?["status"] as? String }
            try await context.room.setAttributes(["lk.agent.state": "listening"])
        }
        let running = Task { try await worker.run() }
        defer { running.cancel() }
        let workerID = try await server.poll("/_test/workers") { json -> String? in
            let workers = json["workers"] as? [[String: Any]] ?? []
            return workers.first { $0["agent_name"] as? String == "parley-test" }?["id"] as? String
        }
        XCTAssertTrue(workerID.hasPrefix("AW_"), workerID)

        let dispatches = try AgentDispatchClient(
            url: "http://127.0.0.1:\(server.port)", apiKey: "devkey", apiSecret: "secret")
        let dispatch = try await dispatches.createDispatch(
            room: "job-room", agentName: "parley-test", metadata: #"{"prompt":"be brief"}"#)
        XCTAssertFalse(dispatch.id.isEmpty)
        let job = try await server.poll("/_test/jobs") { json -> [String: Any]? in
            let jobs = json["jobs"] as? [[String: Any]] ?? []
            return jobs.first { $0["status"] as? String == "JS_SUCCESS" }
        }
        XCTAssertEqual(statusWhileRunning.withLock { $0 }, "JS_RUNNING")
        let info = try XCTUnwrap(seen.withLock { $0.first })
        XCTAssertEqual(info.roomName, "job-room")
        XCTAssertEqual(info.metadata, #"{"prompt":"be brief"}"#)
        XCTAssertEqual(info.agentName, "parley-test")
        XCTAssertEqual(job["id"] as? String, info.id)
        // Load reports arrive every statusInterval.
        let updates = try await server.poll("/_test/workers") { json -> Int? in
            let workers = json["workers"] as? [[String: Any]] ?? []
            let count = (workers.first?["updates"] as? [Any])?.count ?? 0
            return count >= 2 ? count : nil
        }
        XCTAssertGreaterThanOrEqual(updates, 2)
        await worker.drain()
    }

    func testTerminationEndsARunningJob() async throws {
        let started = Locked<String?>(nil)
        let worker = try AgentWorker(options: options(agentName: "long-runner")) { context in
            started.withLock { $0 = context.job.id }
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(50)) }
        }
        let running = Task { try await worker.run() }
        defer { running.cancel() }
        _ = try await server.poll("/_test/workers") { json -> Bool? in
            ((json["workers"] as? [[String: Any]])?.isEmpty == false) ? true : nil
        }
        let dispatches = try AgentDispatchClient(
            url: "http://127.0.0.1:\(server.port)", apiKey: "devkey", apiSecret: "secret")
        _ = try await dispatches.createDispatch(room: "term-room", agentName: "long-runner")
        let deadline = ContinuousClock.now + .seconds(20)
        while started.withLock({ $0 }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let id = try XCTUnwrap(started.withLock { $0 }, "job never started")
        _ = try await server.admin("/_test/terminate-job", ["job_id": id])
        let ended = ContinuousClock.now + .seconds(10)
        while await !worker.activeJobs.isEmpty, ContinuousClock.now < ended { try await Task.sleep(for: .milliseconds(50)) }
        let active = await worker.activeJobs
        XCTAssertTrue(active.isEmpty, "job still running after JobTermination")
        await worker.drain()
    }

    func testConcurrentJobsInOneProcess() async throws {
        let running = Locked(0)
        let peak = Locked(0)
        let worker = try AgentWorker(options: options(agentName: "many")) { _ in
            let now = running.withLock { n -> Int in n += 1; return n }
            peak.withLock { $0 = max($0, now) }
            try? await Task.sleep(for: .seconds(2))
            running.withLock { $0 -= 1 }
        }
        let task = Task { try await worker.run() }
        defer { task.cancel() }
        _ = try await server.poll("/_test/workers") { json -> Bool? in
            ((json["workers"] as? [[String: Any]])?.isEmpty == false) ? true : nil
        }
        let dispatches = try AgentDispatchClient(
            url: "http://127.0.0.1:\(server.port)", apiKey: "devkey", apiSecret: "secret")
        for i in 0..<3 { _ = try await dispatches.createDispatch(room: "many-\(i)", agentName: "many") }
        let done = try await server.poll("/_test/jobs", timeout: .seconds(30)) { json -> Int? in
            let jobs = json["jobs"] as? [[String: Any]] ?? []
            let succeeded = jobs.filter { $0["status"] as? String == "JS_SUCCESS" }.count
            return succeeded == 3 ? succeeded : nil
        }
        XCTAssertEqual(done, 3)
        XCTAssertEqual(peak.withLock { $0 }, 3, "the three jobs did not overlap")
        await worker.drain()
    }

    func testWorkerWithoutAgentGrantIsRefusedOnce() async throws {
        var options = options(agentName: "x")
        options.apiSecret = "wrong"
        let worker = try AgentWorker(options: options) { _ in }
        do {
            try await worker.run()
            XCTFail("registered with a bad secret")
        } catch {
            guard case .unauthorized = error else { return XCTFail("\(error)") }
        }
    }
}
