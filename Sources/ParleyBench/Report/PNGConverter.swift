// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Turns the chart SVGs into PNGs with librsvg's `rsvg-convert` (Debian: librsvg2-bin), for
/// places that do not show SVG (chat, slides, some Markdown viewers). Optional: without the
/// tool the report has SVGs only and says so.
struct PNGConverter: Sendable {
    let executable: URL

    static let toolName = "rsvg-convert"

    /// `rsvg-convert` from PATH, or nil.
    static func onPath(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> PNGConverter? {
        let dirs = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for dir in dirs where !dir.isEmpty {
            let candidate = URL(fileURLWithPath: dir).appendingPathComponent(toolName)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return PNGConverter(executable: candidate) }
        }
        return nil
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Converts `svg` to `png`, atomically like every report file: the converter writes a
    /// temporary name in the same folder, which is renamed into place only if it succeeded.
    func convert(_ svg: URL, to png: URL) throws {
        let temp = png.deletingLastPathComponent().appendingPathComponent(ReportFile.temporaryName(for: png.lastPathComponent))
        defer { try? FileManager.default.removeItem(at: temp) }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--format", "png", "--background-color", "white", "--output", temp.path, svg.path]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw Failure(description: "cannot run \(executable.path): \(error)")
        }
        // Read to EOF before waiting: a converter that fills the pipe would otherwise block
        // forever on its write while we block on its exit.
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let why = message.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300)
            throw Failure(description: "\(Self.toolName) failed (status \(process.terminationStatus)) on \(svg.lastPathComponent)"
                          + (why.isEmpty ? "" : ": \(why)"))
        }
        guard FileManager.default.fileExists(atPath: temp.path) else {
            throw Failure(description: "\(Self.toolName) wrote no file for \(svg.lastPathComponent)")
        }
        try ReportFile.moveIntoPlace(temp, png)
    }
}
