// SPDX-License-Identifier: Apache-2.0

import Foundation
import Hummingbird
import HummingbirdTesting
import ParleyLiveKit
@testable import ParleyServer
import Testing

/// One server under test: a store (a temp SQLite file by default, or a fresh PostgreSQL database),
/// a SessionService pointed at the LiveKit test server (or at a dead port), and the Hummingbird
/// router driven in-process.
struct Harness {
    static let jwtSecret = "operator-jwt-secret-0123456789abcdef"
    static let apiKey = "svc-api-key-0123456789abcdef"
    static let fastRetry = RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(20))

    let livekitURL: String
    let config: ServerConfig
    let store: any SessionStore
    let service: SessionService
    /// Where the store lives; `reopenStore()` opens it again (a "restarted" server).
    let fixture: StoreFixture

    static func profiles() -> [SessionAgentProfile] {
        [SessionAgentProfile(name: "support", agentName: "support-agent", instructions: "You are Maya, a support agent.",
                             greeting: "Hi, I'm Maya.", defaults: ["stt": .string("deepgram/nova-3:en"),
                                                                   "llm": .string("openai/gpt-4o-mini"),
                                                                   "tts": .string("cartesia/sonic-3:v1")],
                             categoryID: "3f9a1c2e-7b4d-4e8a-9c1f-0a2b3c4d5e6f"),
         SessionAgentProfile(name: "retired", agentName: "old-agent", enabled: false)]
    }

    /// - Parameters:
    ///   - backend: the store kind for a fresh store (ignored when `fixture` is given).
    ///   - fixture: an existing store to reopen (a restart on the same data).
    static func make(livekitURL: String, backend: StoreBackend = .sqlite, fixture: StoreFixture? = nil,
                     transport: any HTTPTransport = URLSessionTransport(), maxBodyBytes: Int = 4096,
                     configure: (inout ServerConfig) -> Void = { _ in }) async throws -> Harness {
        var config = ServerConfig(livekit: .init(url: livekitURL, apiKey: "devkey", apiSecret: "secret"),
                                  profiles: profiles())
        config.jwt = .init(hs256Secret: jwtSecret)
        config.apiKeys = [.init(name: "backend-service", key: apiKey)]
        config.maxBodyBytes = maxBodyBytes
        let location: StoreFixture
        if let fixture { location = fixture } else { location = try await StoreFixture.make(backend) }
        config.store = location.settings
        configure(&config)
        let store = try await location.open()
        let twirp = try TwirpClient(url: livekitURL, apiKey: "devkey", apiSecret: "secret", transport: transport,
                                    retry: fastRetry, timeout: .seconds(5))
        let service = SessionService(config: config, store: store, twirp: twirp)
        return Harness(livekitURL: livekitURL, config: config, store: store, service: service, fixture: location)
    }

    /// The same store opened again (the harness's own store is closed after `run`).
    func reopenStore() async throws -> any SessionStore { try await fixture.open() }

    /// Runs `body` against the in-process router, then closes the store (files stay for
    /// inspection until `cleanUpFiles`).
    func run<T: Sendable>(metrics: PrometheusRegistry? = nil,
                          _ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        var service = service
        if let metrics { service.metrics = ServerMetrics(factory: metrics) }
        let app = Application(router: ParleyServerApp.router(service: service, metrics: metrics))
        do {
            let result = try await app.test(.router, body)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }

    func cleanUpFiles() { fixture.cleanUp() }

    var rooms: RoomServiceClient { get throws { try RoomServiceClient(url: livekitURL, apiKey: "devkey", apiSecret: "secret") } }
    var dispatches: AgentDispatchClient {
        get throws { try AgentDispatchClient(url: livekitURL, apiKey: "devkey", apiSecret: "secret") }
    }

    static func userToken(_ sub: String, secret: String = jwtSecret, expiresIn: Int64 = 3600) -> String {
        let now = Int64(Date().timeIntervalSince1970)
        return Authenticator.signHS256(claims: ["sub": sub, "iat": now, "exp": now + expiresIn], secret: secret)
    }
}

/// A response as parsed JSON.
struct Reply: Sendable {
    var status: HTTPResponse.Status
    var text: String
    var headers: HTTPFields

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String { (json["error"] as? [String: Any])?["message"] as? String ?? "" }
}

extension TestClientProtocol {
    func call(_ method: HTTPRequest.Method, _ uri: String, auth: String? = nil, body: String? = nil,
              headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let auth { headers[.authorization] = "Bearer \(auth)" }
        if body != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) {
            Reply(status: $0.status, text: String(buffer: $0.body), headers: $0.headers)
        }
    }
}
