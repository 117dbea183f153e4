// SPDX-License-Identifier: Apache-2.0

import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Runs one of the provider protocol test servers (`Tests/ProviderTestServers/<script>`) from
/// the test-peer venv on a free loopback port, once per script per test process.
///
/// Every server follows the same conventions, so one launcher serves them all:
/// - it takes `--port 0 --exit-on-stdin-eof` and prints the bound port on its first stdout line;
/// - tests keep apart through the URL (`/s/<session>/<scenario>/…`), so tests running in
///   parallel share one server and never share state;
/// - admin endpoints live under `/_test/…` and answer JSON objects.
public final class ProviderTestServer: Sendable {
    public static let packageRoot = LiveKitTestServerProcess.packageRoot

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private static let running = Mutex<[String: Result<ProviderTestServer, Failure>]>([:])

    /// The shared server for `script` (e.g. `"openai_server.py"`), started on first use, or why
    /// it could not start (the failure is remembered, so every test reports the same cause).
    public static func shared(_ script: String) throws -> ProviderTestServer {
        try running.withLock { servers in
            if let known = servers[script] { return known }
            let started: Result<ProviderTestServer, Failure>
            do { started = .success(try ProviderTestServer(script: script)) } catch let e as Failure {
                started = .failure(e)
            } catch {
                started = .failure(Failure(description: "\(script): \(error)"))
            }
            servers[script] = started
            return started
        }.get()
    }

    public let script: String
    public let port: Int
    private let process: Process
    /// Kept open: the server runs with `--exit-on-stdin-eof`, so it dies with the test process.
    private let stdin: Pipe

    private init(script: String) throws {
        self.script = script
        let exe = Self.packageRoot.appendingPathComponent(".test-peers/venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: exe.path) else {
            throw Failure(description: "test peer venv missing: run scripts/install-test-peers")
        }
        let path = Self.packageRoot.appendingPathComponent("Tests/ProviderTestServers/\(script)").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw Failure(description: "no provider test server at \(path)")
        }
        process = Process()
        process.executableURL = exe
        process.arguments = ["-B", "-W", "ignore", path, "--port", "0", "--exit-on-stdin-eof"]
        let out = Pipe()
        stdin = Pipe()
        process.standardOutput = out
        process.standardInput = stdin
        try process.run()
        // The first line is the bound port.
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw Failure(description: "\(script) did not report a port: \(String(decoding: line, as: UTF8.self))")
        }
        self.port = port
    }

    /// `http://127.0.0.1:PORT`.
    public var httpBase: String { "http://127.0.0.1:\(port)" }
    /// `ws://127.0.0.1:PORT`.
    public var webSocketBase: String { "ws://127.0.0.1:\(port)" }

    /// The per-test prefix `/s/<session>/<scenario>`, on http or ws.
    public func base(session: String, scenario: String, webSocket: Bool = false) -> String {
        (webSocket ? webSocketBase : httpBase) + "/s/\(session)/\(scenario)"
    }

    /// GET an admin endpoint (`/_test/requests?session=…`), decoded as a JSON object.
    public func admin(_ pathAndQuery: String) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: httpBase + pathAndQuery)!)
        request.timeoutInterval = 10
        let (data, _) = try await URLSession.shared.data(for: request)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Failure(description: "\(script) \(pathAndQuery): not a JSON object")
        }
        return object
    }
}
