// SPDX-License-Identifier: Apache-2.0

import Foundation
import Hummingbird
import HummingbirdTesting
import ParleyCore
import ParleyLiveKit
@testable import ParleyServer
import Testing

@Suite("Metrics, OpenAPI and CORS", .serialized)
struct APISurfaceTests {
    @Test("GET /metrics: request counts and latencies by route pattern and status, sessions, LiveKit errors")
    func metrics() async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let h = try await Harness.make(livekitURL: peer.url, transport: FailingDispatchTransport())
        defer { h.cleanUpFiles() }
        let registry = PrometheusRegistry()
        let alice = Harness.userToken("alice")
        let text: String = try await h.run(metrics: registry) { client in
            // CreateDispatch fails (502) → a LiveKit error and no session.
            let failed = try await client.call(.post, "/v1/sessions", auth: alice, body: #"{"agent": "support"}"#)
            #expect(failed.status == .badGateway)
            _ = try await client.call(.get, "/v1/sessions/ses_unknown", auth: alice)
            _ = try await client.call(.get, "/v1/sessions/ses_other", auth: alice)
            _ = try await client.call(.get, "/nowhere")
            let r = try await client.call(.get, "/metrics")
            #expect(r.status == .ok)
            #expect(r.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            return r.text
        }
        #expect(text.contains("# TYPE parley_http_requests_total counter"))
        #expect(text.contains(#"parley_http_requests_total{method="GET",route="/v1/sessions/{id}",status="404"} 2"#), "\(text)")
        #expect(text.contains(#"parley_http_requests_total{method="POST",route="/v1/sessions",status="502"} 1"#))
        #expect(text.contains(#"parley_http_requests_total{method="GET",route="NotFound",status="404"} 1"#))
        #expect(text.contains("# TYPE parley_http_request_duration_seconds histogram"))
        #expect(text.contains(#"parley_http_request_duration_seconds_bucket{method="GET",route="/v1/sessions/{id}",le="+Inf"} 2"#))
        #expect(text.contains(#"parley_http_request_duration_seconds_count{method="POST",route="/v1/sessions"} 1"#))
        #expect(text.contains(#"parley_livekit_api_errors_total{code="internal",operation="CreateDispatch"} 1"#))
        #expect(text.contains("parley_sessions_active 0"))
        #expect(!text.contains("secret") && !text.contains(alice))

        // Sessions created and ended, by origin and reason.
        let peer2 = try LiveKitTestPeer()
        defer { peer2.stop() }
        let h2 = try await Harness.make(livekitURL: peer2.url)
        defer { h2.cleanUpFiles() }
        let registry2 = PrometheusRegistry()
        let text2: String = try await h2.run(metrics: registry2) { client in
            let a = try await client.call(.post, "/v1/sessions", auth: alice, body: #"{"agent": "support"}"#)
            _ = try await client.call(.post, "/v1/sessions", auth: alice, body: #"{"agent": "support"}"#)
            _ = try await client.call(.post, "/session", auth: alice, body: #"{"userIdentity": "u1"}"#)
            let id = try #require(a.json["session_id"] as? String)
            _ = try await client.call(.delete, "/v1/sessions/\(id)", auth: alice)
            _ = try await client.call(.delete, "/v1/sessions/\(id)", auth: alice)
            return try await client.call(.get, "/metrics").text
        }
        #expect(text2.contains(#"parley_sessions_created_total{origin="v1"} 2"#), "\(text2)")
        #expect(text2.contains(#"parley_sessions_created_total{origin="seed004"} 1"#))
        #expect(text2.contains(#"parley_sessions_ended_total{reason="ended_by_user"} 1"#), "ending twice counts once")
        #expect(text2.contains("parley_sessions_active 2"))
    }

    @Test("the exposition format: escaping, names, gauges, histogram buckets")
    func exposition() {
        let r = PrometheusRegistry()
        r.makeCounter(label: "a.b-c", dimensions: [("path", "x\"y\\z\n")]).increment(by: 3)
        r.makeMeter(label: "g", dimensions: []).set(2.5)
        r.makeTimer(label: "t_seconds", dimensions: []).recordNanoseconds(30_000_000)
        let text = r.exposition()
        #expect(text.contains(#"a_b_c{path="x\"y\\z\n"} 3"#), "\(text)")
        #expect(text.contains("# TYPE g gauge\ng 2.5\n"))
        #expect(text.contains(#"t_seconds_bucket{le="0.025"} 0"#) && text.contains(#"t_seconds_bucket{le="0.05"} 1"#))
        #expect(text.contains("t_seconds_sum 0.03") && text.contains("t_seconds_count 1"))
    }

    @Test("GET /openapi.json: OpenAPI 3.1, and every registered route is documented")
    func openAPI() async throws {
        let h = try await Harness.make(livekitURL: "http://127.0.0.1:9")
        defer { h.cleanUpFiles() }
        let router = ParleyServerApp.router(service: h.service, metrics: PrometheusRegistry())
        let registered = router.routes.map { ($0.method.rawValue.lowercased(), $0.path.description) }
        #expect(registered.count >= 16)
        let reply = try await h.run { client in try await client.call(.get, "/openapi.json") }
        #expect(reply.status == .ok)
        let doc = reply.json
        #expect(doc["openapi"] as? String == "3.1.0")
        let paths = try #require(doc["paths"] as? [String: [String: Any]])
        for (method, path) in registered {
            #expect(paths[path]?[method] != nil, "\(method.uppercased()) \(path) is not in openapi.json")
        }
        // …and nothing documented that is not served.
        let documented = paths.flatMap { path, ops in ops.keys.map { ($0, path) } }
        for (method, path) in documented {
            #expect(registered.contains { $0 == (method, path) }, "\(method) \(path) is documented but not registered")
        }
        let schemas = try #require((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
        #expect(schemas["Error"] != nil && schemas["AgentConfig"] != nil)
        // Every $ref resolves.
        for match in reply.text.matches(of: /"\$ref": "#\/components\/schemas\/([A-Za-z0-9]+)"/) {
            #expect(schemas[String(match.1)] != nil, "unresolved \(match.1)")
        }
    }

    @Test("CORS: closed by default; listed origins get headers and preflights are answered before auth")
    func cors() async throws {
        let closed = try await Harness.make(livekitURL: "http://127.0.0.1:9")
        defer { closed.cleanUpFiles() }
        try await closed.run { client in
            let pre = try await client.call(.options, "/v1/sessions",
                                            headers: [.origin: "https://app.example.com", .accessControlRequestMethod: "POST"])
            #expect(pre.status == .forbidden && pre.headers[.accessControlAllowOrigin] == nil)
            let get = try await client.call(.get, "/healthz", headers: [.origin: "https://app.example.com"])
            #expect(get.status == .ok && get.headers[.accessControlAllowOrigin] == nil)
        }
        let open = try await Harness.make(livekitURL: "http://127.0.0.1:9") {
            $0.cors = .init(allowedOrigins: ["https://app.example.com", "http://localhost:5173"])
        }
        defer { open.cleanUpFiles() }
        try await open.run { client in
            let pre = try await client.call(.options, "/v1/sessions",
                                            headers: [.origin: "http://localhost:5173", .accessControlRequestMethod: "POST",
                                                      .accessControlRequestHeaders: "authorization, content-type"])
            #expect(pre.status == .noContent)
            #expect(pre.headers[.accessControlAllowOrigin] == "http://localhost:5173")
            #expect(pre.headers[.accessControlAllowMethods]?.contains("POST") == true)
            #expect(pre.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            #expect(pre.headers[.vary] == "Origin")
            // Actual requests, including error replies, carry the header for allowed origins only.
            let unauth = try await client.call(.get, "/v1/sessions", headers: [.origin: "https://app.example.com"])
            #expect(unauth.status == .unauthorized && unauth.headers[.accessControlAllowOrigin] == "https://app.example.com")
            let other = try await client.call(.get, "/healthz", headers: [.origin: "https://evil.example"])
            #expect(other.status == .ok && other.headers[.accessControlAllowOrigin] == nil)
            let otherPre = try await client.call(.options, "/v1/sessions",
                                                 headers: [.origin: "https://evil.example", .accessControlRequestMethod: "POST"])
            #expect(otherPre.status == .forbidden && otherPre.errorCode == "cors_origin_not_allowed")
        }
    }

    @Test("server.cors parses origins and rejects paths and credentials with *")
    func corsConfig() throws {
        func load(_ cors: String) throws -> ServerConfig {
            let yaml = """
                livekit: { url: ws://localhost:7880, api_key: k, api_secret: s }
                server:
                  auth: { api_keys: [ { name: a, key: 0123456789abcdef0 } ] }
                  profiles: { support: { agent_name: x } }
                  cors: \(cors)
                """
            return try ServerConfig(root: ConfigLoader.parse(yaml: yaml, file: "test.yaml", environment: [:]))
        }
        let c = try load(#"{ allowed_origins: ["https://a.example", "http://localhost:5173"], max_age_s: 60 }"#)
        #expect(c.cors.allowedOrigins == ["https://a.example", "http://localhost:5173"] && c.cors.maxAgeSeconds == 60)
        #expect(throws: (any Error).self) { try load(#"{ allowed_origins: ["https://a.example/app"] }"#) }
        #expect(throws: (any Error).self) { try load(#"{ allowed_origins: ["*"], allow_credentials: true }"#) }
        #expect(throws: (any Error).self) { try load(#"{ allow_origins: ["https://a.example"] }"#) }
        #expect(try load("null").cors.allowedOrigins.isEmpty)
    }
}
