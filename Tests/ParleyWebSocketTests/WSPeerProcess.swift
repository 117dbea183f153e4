// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs Fixtures/ws_peer.py (aiohttp, from the test-peer venv) and knows its ports.
/// The peer exits when our end of its stdin closes, so it never outlives the test process.
final class WSPeerProcess: Sendable {
    /// The package root (this file lives in Tests/ParleyWebSocketTests).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    struct LaunchError: Error, CustomStringConvertible {
        var description: String
    }

    /// One peer shared by the tests that do not kill it.
    static let shared: Result<WSPeerProcess, LaunchError> = {
        do { return .success(try WSPeerProcess()) } catch let error as LaunchError { return .failure(error) } catch {
            return .failure(LaunchError(description: "\(error)"))
        }
    }()

    private let process: Process
    private let stdin: Pipe
    let port: Int
    let tlsPort: Int
    /// The peer's self-signed certificate (also usable as a CA file: CA:TRUE, SAN localhost).
    let certPath: String
    /// A second wss port whose certificate names only other.example (host name mismatch).
    let otherTLSPort: Int
    let otherCertPath: String

    init() throws {
        let python = Self.packageRoot.appendingPathComponent(".test-peers/venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw LaunchError(description: "test peer venv missing: run scripts/install-test-peers")
        }
        process = Process()
        process.executableURL = python
        process.arguments = ["-B", "-W", "ignore",
                             Self.packageRoot.appendingPathComponent("Tests/ParleyWebSocketTests/Fixtures/ws_peer.py").path]
        let out = Pipe()
        stdin = Pipe()
        process.standardOutput = out
        process.standardInput = stdin
        try process.run()
        let reader = out.fileHandleForReading
        func line() -> String {
            var bytes = Data()
            while true {
                let byte = reader.readData(ofLength: 1)
                if byte.isEmpty || byte == Data("\n".utf8) { break }
                bytes.append(byte)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        let lines = (0..<5).map { _ in line() }
        guard let port = Int(lines[0]), let tlsPort = Int(lines[1]), let otherTLSPort = Int(lines[3]),
              !lines[2].isEmpty, !lines[4].isEmpty else {
            process.terminate()
            throw LaunchError(description: "ws_peer.py did not report its ports: \(lines)")
        }
        self.port = port
        self.tlsPort = tlsPort
        certPath = lines[2]
        self.otherTLSPort = otherTLSPort
        otherCertPath = lines[4]
    }

    func url(_ path: String, secure: Bool = false, host: String = "127.0.0.1") -> String {
        secure ? "wss://\(host):\(tlsPort)\(path)" : "ws://\(host):\(port)\(path)"
    }

    /// SIGKILL: the peer gets no chance to close anything cleanly (so its certificate
    /// directory, which it removes on a normal exit, is removed here).
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        for _ in 0..<300 where process.isRunning { usleep(10_000) }
        try? FileManager.default.removeItem(at: URL(fileURLWithPath: certPath).deletingLastPathComponent())
    }

    /// SIGTERM, then SIGKILL after 2 s. Polls `isRunning`: `waitUntilExit()` can block forever
    /// on a Swift-concurrency thread on Linux (it waits on a run loop).
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<200 where process.isRunning { usleep(10_000) }
        if process.isRunning { kill() }
    }

    deinit { stop() }
}
