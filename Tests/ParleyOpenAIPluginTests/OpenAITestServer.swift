// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Runs Tests/ProviderTestServers/openai_server.py from the test-peer venv on a free loopback
/// port, once per test process. Tests keep apart through the URL (`/s/<session>/<scenario>/v1`),
/// so they can run in parallel against the one server.
final class OpenAITestServer: Sendable {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// The shared server, or why it could not start.
    static let shared: Result<OpenAITestServer, Failure> = {
        do { return .success(try OpenAITestServer()) } catch let e as Failure { return .failure(e) } catch {
            return .failure(Failure(description: "\(error)"))
        }
    }()

    static func get() throws -> OpenAITestServer { try shared.get() }

    private let process: Process
    /// Kept open: the server runs with `--exit-on-stdin-eof`, so it dies with the test process.
    private let stdin: Pipe
    let port: Int

    private init() throws {
        let exe = Self.packageRoot.appendingPathComponent(".test-peers/venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: exe.path) else {
            throw Failure(description: "test peer venv missing: run scripts/install-test-peers")
        }
        process = Process()
        process.executableURL = exe
        process.arguments = ["-B", "-W", "ignore",
                             Self.packageRoot.appendingPathComponent("Tests/ProviderTestServers/openai_server.py").path,
                             "--port", "0", "--exit-on-stdin-eof"]
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
            throw Failure(description: "openai test server did not report a port: \(String(decoding: line, as: UTF8.self))")
        }
        self.port = port
    }

    /// The `base_url` for one test: its own session, a scenario, and query items for it.
    func baseURL(session: String, scenario: String, query: String = "") -> String {
        "http://127.0.0.1:\(port)/s/\(session)/\(scenario)/v1" + (query.isEmpty ? "" : "?" + query)
    }

    /// GET an admin endpoint (`/_test/requests?session=…`), decoded as a JSON object.
    func admin(_ pathAndQuery: String) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(pathAndQuery)")!)
        request.timeoutInterval = 10
        let (data, _) = try await URLSession.shared.data(for: request)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Failure(description: "\(pathAndQuery): not a JSON object")
        }
        return object
    }

    /// The chat-completions request bodies the server received for `session`, in order.
    func requests(session: String) async throws -> [[String: Any]] {
        let entries = try await admin("/_test/requests?session=\(session)")["requests"] as? [[String: Any]] ?? []
        return entries
    }

    func disconnects(session: String) async throws -> Int {
        try await admin("/_test/disconnects?session=\(session)")["disconnects"] as? Int ?? 0
    }
}
