// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ParleyLiveKit
import Synchronization

/// The Python LiveKit protocol test server (Tests/LiveKitTestServer/server.py), one per test.
final class LiveKitTestPeer: Sendable {
    static let root = LiveKitTestServerProcess.packageRoot
    private let server: LiveKitTestServerProcess
    var port: Int { server.port }
    var url: String { server.url }

    init() throws {
        server = try LiveKitTestServerProcess()
    }

    func stop() { server.stop() }

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
