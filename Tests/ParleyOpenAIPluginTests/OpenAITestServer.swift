// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyTestSupport

/// Tests/ProviderTestServers/openai_server.py, shared by the tests of this target.
/// Tests keep apart through the URL (`/s/<session>/<scenario>/v1`).
struct OpenAITestServer: Sendable {
    let server: ProviderTestServer

    static func get() throws -> OpenAITestServer { OpenAITestServer(server: try ProviderTestServer.shared("openai_server.py")) }

    var port: Int { server.port }

    /// The `base_url` for one test: its own session, a scenario, and query items for it.
    func baseURL(session: String, scenario: String, query: String = "") -> String {
        server.base(session: session, scenario: scenario) + "/v1" + (query.isEmpty ? "" : "?" + query)
    }

    /// The chat-completions request bodies the server received for `session`, in order.
    func requests(session: String) async throws -> [[String: Any]] {
        try await server.admin("/_test/requests?session=\(session)")["requests"] as? [[String: Any]] ?? []
    }

    func disconnects(session: String) async throws -> Int {
        try await server.admin("/_test/disconnects?session=\(session)")["disconnects"] as? Int ?? 0
    }
}
