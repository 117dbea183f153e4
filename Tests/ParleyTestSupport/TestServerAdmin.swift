// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The test server's `/_test/*` admin endpoints (no token): JSON in, JSON out.
extension LiveKitTestServerProcess {
    public struct AdminError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public func admin(_ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: url + path)!)
        request.timeoutInterval = 30
        if let body {
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw AdminError(description: "\(path): HTTP \(status), not JSON: \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        guard (200..<300).contains(status) else { throw AdminError(description: "\(path): HTTP \(status): \(object)") }
        return object
    }

    /// Polls `check` on an admin GET until it returns non-nil or `timeout` passes.
    public func poll<T>(_ path: String, timeout: Duration = .seconds(20), _ check: ([String: Any]) -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        var last: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            last = try await admin(path)
            if let value = check(last) { return value }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw AdminError(description: "\(path): condition not met within \(timeout); last: \(last)")
    }
}
