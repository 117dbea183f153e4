// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Atomic file replacement for the report folder: each file is written under a temporary name
/// in the same directory and renamed over the final name. rename(2) within one filesystem is
/// atomic, so a reader (or a run killed half-way) only ever sees the old file or the whole new
/// one, never a truncated report.md or an SVG cut off mid-element.
enum ReportFile {
    /// Temporary names are `.<name>.partial-<pid>-<n>`: hidden, recognisably ours, unique per
    /// writer, so a stale one from a killed run can be told apart and removed.
    static let temporaryMarker = ".partial-"

    static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let temp = directory.appendingPathComponent(temporaryName(for: url.lastPathComponent))
        do {
            try data.write(to: temp)
            try moveIntoPlace(temp, url)
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw error
        }
    }

    static func write(_ text: String, to url: URL) throws { try write(Data(text.utf8), to: url) }

    /// Renames `temp` over `final`, replacing it if it exists.
    static func moveIntoPlace(_ temp: URL, _ final: URL) throws {
        guard rename(temp.path, final.path) == 0 else {
            let code = errno
            throw CocoaError(.fileWriteUnknown, userInfo: [
                NSFilePathErrorKey: final.path,
                NSLocalizedDescriptionKey: "cannot rename \(temp.lastPathComponent) to \(final.lastPathComponent): "
                    + String(cString: strerror(code)),
            ])
        }
    }

    static func temporaryName(for name: String) -> String {
        "." + name + temporaryMarker + "\(ProcessInfo.processInfo.processIdentifier)-" + String(UInt32.random(in: .min ... .max), radix: 16)
    }

    /// Deletes temporary files a killed earlier run left in `directory`.
    static func removeStaleTemporaries(in directory: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(".") && name.contains(temporaryMarker) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }
}
