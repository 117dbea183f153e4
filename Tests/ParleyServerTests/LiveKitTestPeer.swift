// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ParleyLiveKit
import Synchronization

/// The Python LiveKit protocol test server (Tests/LiveKitTestServer/server.py), one per test.
final class LiveKitTestPeer: Sendable {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let process: Process
    let stdin: Pipe
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    init() throws {
        let exe = Self.root.appendingPathComponent(".test-peers/venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: exe.path) else {
            throw PeerError("test peer venv missing: run scripts/install-test-peers")
        }
        process = Process()
        process.executableURL = exe
        process.arguments = ["-B", "-W", "ignore", Self.root.appendingPathComponent("Tests/LiveKitTestServer/server.py").path,
                             "--port", "0", "--api-key", "devkey", "--api-secret", "secret", "--exit-on-stdin-eof"]
        let out = Pipe()
        stdin = Pipe()
        process.standardOutput = out
        process.standardInput = stdin
        try process.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw PeerError("test server did not report a port")
        }
        self.port = port
    }

    /// SIGTERM, then SIGKILL; polls `isRunning` (waitUntilExit can hang on Linux from async code).
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<200 where process.isRunning { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for _ in 0..<100 where process.isRunning { usleep(10_000) }
    }

    deinit { stop() }

    /// Makes the next `count` API calls fail with `status` (the server's fault injection).
    func injectFault(count: Int, status: Int = 503) async throws {
        var request = URLRequest(url: URL(string: url + "/_test/fault")!)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: ["count": count, "status": status,
                                                                       "code": status == 503 ? "unavailable" : "internal"])
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        _ = try await URLSession.shared.data(for: request)
    }
}

struct PeerError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Passes requests through; once a Twirp method named `armAfter` succeeds, arms the test server
/// to fail the next `failCount` API calls (so CreateDispatch fails after CreateRoom succeeded).
final class ArmingTransport: HTTPTransport {
    let inner = URLSessionTransport()
    let armAfter: String
    let failCount: Int
    let peer: LiveKitTestPeer
    let armed = Mutex(false)
    let methods = Mutex<[String]>([])

    init(peer: LiveKitTestPeer, armAfter: String, failCount: Int) {
        self.peer = peer
        self.armAfter = armAfter
        self.failCount = failCount
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let method = request.url.lastPathComponent
        methods.withLock { $0.append(method) }
        let response = try await inner.send(request)
        if method == armAfter, (200..<300).contains(response.status), !armed.withLock({ $0 }) {
            armed.withLock { $0 = true }
            try await peer.injectFault(count: failCount)
        }
        return response
    }
}

/// CreateRoom/DeleteRoom pass through; CreateDispatch gets LiveKit's non-retryable 500.
final class FailingDispatchTransport: HTTPTransport {
    let inner = URLSessionTransport()
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        if request.url.lastPathComponent == "CreateDispatch" {
            return HTTPResponse(status: 500, body: Data(#"{"code":"internal","msg":"boom"}"#.utf8))
        }
        return try await inner.send(request)
    }
}
