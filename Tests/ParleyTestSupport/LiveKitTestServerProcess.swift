// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the Python LiveKit protocol test server (Tests/LiveKitTestServer/server.py) from the
/// test-peer venv on a free loopback port. Shared by every test target that talks to it.
public final class LiveKitTestServerProcess: Sendable {
    /// The package root (this file lives in Tests/ParleyTestSupport).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    public struct LaunchError: Error, CustomStringConvertible {
        public var description: String
    }

    private let process: Process
    /// Kept open: the server runs with `--exit-on-stdin-eof`, so it also dies with the test process.
    private let stdin: Pipe
    public let port: Int
    public var url: String { "http://127.0.0.1:\(port)" }

    public init(apiKey: String = "devkey", apiSecret: String = "secret", extraArguments: [String] = []) throws {
        let exe = Self.packageRoot.appendingPathComponent(".test-peers/venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: exe.path) else {
            throw LaunchError(description: "test peer venv missing: run scripts/install-test-peers")
        }
        process = Process()
        process.executableURL = exe
        process.arguments = ["-B", "-W", "ignore",
                             Self.packageRoot.appendingPathComponent("Tests/LiveKitTestServer/server.py").path,
                             "--port", "0", "--api-key", apiKey, "--api-secret", apiSecret,
                             "--exit-on-stdin-eof"] + extraArguments
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
            throw LaunchError(description: "test server did not report a port: \(String(decoding: line, as: UTF8.self))")
        }
        self.port = port
    }

    /// SIGTERM, then SIGKILL after 2 s. Polls rather than `waitUntilExit()`, which can block
    /// forever when called from a Swift-concurrency thread on Linux (it waits on a run loop).
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<200 where process.isRunning { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for _ in 0..<100 where process.isRunning { usleep(10_000) }
    }

    deinit { stop() }
}
