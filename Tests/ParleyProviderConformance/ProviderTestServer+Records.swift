// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyTestSupport

/// The admin endpoints every provider protocol test server offers (see
/// Tests/ProviderTestServers/*: `/_test/requests` and `/_test/disconnects`).
extension ProviderTestServer {
    /// What the server recorded for `session`, one object per request or connection, in order.
    public func requests(session: String) async throws -> [[String: Any]] {
        try await admin("/_test/requests?session=\(session)")["requests"] as? [[String: Any]] ?? []
    }

    /// Requests or connections the client ended before the server did (cancel, close, drop).
    public func disconnects(session: String) async throws -> Int {
        try await admin("/_test/disconnects?session=\(session)")["disconnects"] as? Int ?? 0
    }

    /// Polls `check` until it returns non-nil or `timeout` passes (then throws, quoting `what`).
    public func eventually<T>(_ what: String, timeout: Duration = .seconds(10),
                              _ check: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let value = try await check() { return value }
            if ContinuousClock.now >= deadline {
                throw ConformanceFailure("server", "\(script): \(what) not seen within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
