// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Where `scripts/install-local-engines` put the GGUF models.
///
/// The lookup mirrors `LocalEngineFiles` in Plugins/Sherpa on purpose rather than importing it:
/// this target must not depend on the sherpa target (which links espeak-ng, GPL-3.0), so a
/// build can take the LLM without it.
public struct LlamaModelFiles: Sendable, Equatable {
    /// The `.local-engines` directory.
    public let root: URL

    public init(root: URL) { self.root = root }

    /// Model names the installer provides, and their files under `models/`.
    public static let installed: [String: String] = [
        "smollm2-135m": "smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf",
    ]
    public static let defaultModel = "smollm2-135m"

    /// `$PARLEY_LOCAL_ENGINES` if set, else the first `.local-engines` found walking up from the
    /// current directory (so it works from the package root and from `.build` subdirectories).
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment,
                              from start: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        throws -> LlamaModelFiles
    {
        var searched: [String] = []
        if let explicit = environment["PARLEY_LOCAL_ENGINES"], !explicit.isEmpty {
            let url = URL(fileURLWithPath: explicit, isDirectory: true)
            if FileManager.default.fileExists(atPath: url.path) { return LlamaModelFiles(root: url) }
            searched.append(url.path)
        }
        var dir = start.standardizedFileURL
        while true {
            let candidate = dir.appendingPathComponent(".local-engines", isDirectory: true)
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("models").path) {
                return LlamaModelFiles(root: candidate)
            }
            searched.append(candidate.path)
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        throw LlamaError.notInstalled(searched: Array(searched.prefix(3)))
    }

    /// The GGUF file of an installed model.
    public func model(_ name: String) throws -> URL {
        guard let relative = Self.installed[name] else {
            throw LlamaError.unknownModel(name: name, known: Self.installed.keys.sorted())
        }
        return root.appendingPathComponent("models", isDirectory: true).appendingPathComponent(relative)
    }
}
