// SPDX-License-Identifier: Apache-2.0

import Foundation

/// The real protocol peers the interop tests run: Python programs in the test-peer venv that
/// `scripts/install-test-peers` creates (`scripts/test` runs it), with fixtures next to the tests.
enum TestPeers {
    /// `<package root>/.test-peers/venv/bin/python`.
    static let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".test-peers/venv/bin/python").path

    /// Whether the venv's Python can import `module`.
    static func canImport(_ module: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import \(module)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Path of a fixture script in Tests/ParleyRTCTests/Fixtures.
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
    }
}
