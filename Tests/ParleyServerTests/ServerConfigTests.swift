// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
@testable import ParleyServer
import Testing

@Suite("parley serve configuration")
struct ServerConfigTests {
    static let good = """
        livekit: { url: wss://lk.example.com, api_key: ${LK_KEY}, api_secret: ${LK_SECRET} }
        server:
          listen: { host: 0.0.0.0, port: 9090 }
          auth:
            jwt: { hs256_secret: operator-secret-0123456789, issuer: idp }
            api_keys: [ { name: backend, key: backend-key-0123456789 } ]
          store: { sqlite: /tmp/x.sqlite }
          sessions: { token_ttl_s: 3600, max_participants: 3, max_body_bytes: 8192 }
          seed_routes: { default_profile: support }
          profiles:
            support:
              agent_name: support-agent
              instructions: Be helpful.
              greeting: Hello!
              defaults: { stt: deepgram/nova-3:en, realtime: false }
            retired: { enabled: false }
        """

    func parse(_ yaml: String, env: [String: String] = ["LK_KEY": "devkey", "LK_SECRET": "secret"]) throws -> ServerConfig {
        try ServerConfig(root: ConfigLoader.parse(yaml: yaml, file: "server.yaml", environment: env))
    }

    @Test("a full server: section parses, with env interpolation")
    func parses() throws {
        let c = try parse(Self.good)
        #expect(c.host == "0.0.0.0" && c.port == 9090 && c.storePath == "/tmp/x.sqlite")
        #expect(c.livekit.apiKey == "devkey" && c.livekit.apiSecret == "secret")
        #expect(c.jwt?.issuer == "idp" && c.apiKeys.map(\.name) == ["backend"])
        #expect(c.tokenTTLSeconds == 3600 && c.maxParticipants == 3 && c.maxBodyBytes == 8192)
        let p = try #require(c.profiles["support"])
        #expect(p.agentName == "support-agent" && p.defaults["realtime"] == .bool(false))
        #expect(p.baseConfig["prompt"] == .string("Be helpful."))
        #expect(c.profiles["retired"]?.enabled == false && c.profiles["retired"]?.agentName == "retired")
        #expect(c.seedProfileName == "support")
    }

    @Test("missing LiveKit settings: one error naming every missing key")
    func missingLiveKit() throws {
        let yaml = Self.good.replacingOccurrences(of: "livekit: { url: wss://lk.example.com, api_key: ${LK_KEY}, api_secret: ${LK_SECRET} }",
                                                  with: "livekit: { url: wss://lk.example.com }")
        do {
            _ = try parse(yaml)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("livekit.api_key") && "\(error)".contains("livekit.api_secret"), "\(error)")
            #expect(!"\(error)".contains("livekit.url"))
        }
        let noSection = Self.good.components(separatedBy: "\n").dropFirst().joined(separator: "\n")
        #expect(throws: (any Error).self) { try parse(noSection) }
        do { _ = try parse(noSection) } catch {
            #expect("\(error)".contains("livekit.url, livekit.api_key, livekit.api_secret"), "\(error)")
        }
    }

    @Test("bad sections are refused by key")
    func refusals() throws {
        for (from, to, fragment) in [
            ("agent_name: support-agent", "agent_nam: x", "agent_nam"),
            ("stt: deepgram/nova-3:en", "temperature: 0.3", "temperature"),
            ("hs256_secret: operator-secret-0123456789", "hs256_secret: short", "too short"),
            ("default_profile: support", "default_profile: nobody", "names no profile"),
        ] {
            let yaml = Self.good.replacingOccurrences(of: from, with: to)
            do {
                _ = try parse(yaml)
                Issue.record("\(to): expected an error")
            } catch {
                #expect("\(error)".contains(fragment), "\(to): \(error)")
            }
        }
    }

    @Test("store: kind postgres with a URL (env-interpolated), max_connections; sqlite stays the default")
    func postgresStore() throws {
        #expect(try parse(Self.good).store == .sqlite(path: "/tmp/x.sqlite"))
        let noStore = Self.good.replacingOccurrences(of: "  store: { sqlite: /tmp/x.sqlite }\n", with: "")
        #expect(try parse(noStore).store == .sqlite(path: "parley-sessions.sqlite"))
        let yaml = Self.good.replacingOccurrences(
            of: "store: { sqlite: /tmp/x.sqlite }",
            with: #"store: { kind: postgres, url: "postgres://parley@db.internal:5433/sessions?sslmode=require", password: ${PG_PASSWORD}, max_connections: 20 }"#)
        let c = try parse(yaml, env: ["LK_KEY": "devkey", "LK_SECRET": "secret", "PG_PASSWORD": "s3cr3t/pw@x?%"])
        guard case .postgres(let pg) = c.store else { Issue.record("not postgres: \(c.store)"); return }
        #expect(pg.endpoint == .tcp(host: "db.internal", port: 5433) && pg.database == "sessions")
        #expect(pg.username == "parley" && pg.password == "s3cr3t/pw@x?%" && pg.tlsMode == .require)
        #expect(pg.maxConnections == 20 && c.storePath == "")
        #expect("\(c.store)" == "postgres://parley:<redacted>@db.internal:5433/sessions?sslmode=require")
        // In the URL, percent-encoded (libpq's rule).
        let inURL = Self.good.replacingOccurrences(
            of: "store: { sqlite: /tmp/x.sqlite }",
            with: #"store: { kind: postgres, url: "postgresql://parley:s3cr3t%2Fpw%40x@[fd00::5]/sessions" }"#)
        guard case .postgres(let pg2) = try parse(inURL).store else { Issue.record("not postgres"); return }
        #expect(pg2.password == "s3cr3t/pw@x" && pg2.endpoint == .tcp(host: "fd00::5", port: 5432))
        #expect(pg2.maxConnections == 10 && pg2.tlsMode == .prefer)
    }

    @Test("bad store settings: one line at the key, file:line:col, the password never shown")
    func storeRefusals() throws {
        let env = ["LK_KEY": "devkey", "LK_SECRET": "secret", "DB_URL": "postgres://u:envhunter2@h:0/d"]
        for (store, fragments) in [
            ("{ kind: mysql }", ["server.store.kind: \"mysql\" is not one of the supported values", "(allowed: sqlite, postgres)"]),
            ("{ kind: postgres }", ["server.store.url: missing required key", "(allowed: postgres://"]),
            (#"{ kind: postgres, url: "mysql://u:hunter2@h/d" }"#, ["server.store.url:", "scheme", "u:<redacted>@h"]),
            (#"{ kind: postgres, url: "postgres://u:hunter2@h:99999/d" }"#, ["has the port \"99999\"", "(allowed: 1...65535)"]),
            (#"{ kind: postgres, url: "postgres://u@h/d?password=hunter2" }"#,
             ["unknown query parameter \"password\"", "password=<redacted>", "(allowed: sslmode,"]),
            (#"{ kind: postgres, url: "${DB_URL}" }"#, ["has the port \"0\""]),
            (#"{ kind: postgres, url: "postgres://u:hunter2@h/d", sqlite: /x }"#,
             ["server.store: \"sqlite\" applies only to kind: sqlite", "(allowed: kind, url, password, max_connections with kind: postgres)"]),
            (#"{ kind: postgres, url: "postgres://u@h/d", password: [hunter2] }"#, ["server.store.password: <sequence> is not a string"]),
            (#"{ sqlite: /x, url: "postgres://u:hunter2@h/d" }"#, ["server.store: \"url\" applies only to kind: postgres"]),
            (#"{ kind: postgres, url: "postgres://u:hunter2@h/d", max_connections: 0 }"#,
             ["server.store.max_connections: \"0\" is out of range"]),
            ("{ sqlit: /x }", ["did you mean \"sqlite\""]),
        ] {
            let yaml = Self.good.replacingOccurrences(of: "store: { sqlite: /tmp/x.sqlite }", with: "store: \(store)")
            do {
                _ = try parse(yaml, env: env)
                Issue.record("\(store): expected an error")
            } catch {
                let text = "\(error)"
                #expect(text.hasPrefix("server.yaml:7:"), "\(store): \(text)")
                #expect(!text.contains("\n"))
                for fragment in fragments { #expect(text.contains(fragment), "\(store): \(text)") }
                #expect(!text.contains("hunter2"), "\(store): \(text)")
            }
        }
    }

    @Test("Examples/server.yaml is a valid server config")
    func shippedExample() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples/server.yaml").path
        let env = ["LIVEKIT_URL": "ws://127.0.0.1:7880", "LIVEKIT_API_KEY": "devkey", "LIVEKIT_API_SECRET": "secret",
                   "PARLEY_API_KEY": "k-0123456789abcdef", "PARLEY_JWT_SECRET": "0123456789abcdef0123456789abcdef"]
        _ = try ServerConfig(root: ConfigLoader.load(path: path, environment: env))
    }
}
