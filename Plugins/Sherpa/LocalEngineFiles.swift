// SPDX-License-Identifier: Apache-2.0

import Foundation

/// A local engine failure. Messages name files and engines, never the user's text or speech.
public enum LocalEngineError: Error, CustomStringConvertible, Equatable {
    /// A model file the engine needs is not on disk.
    case modelFileMissing(engine: String, path: String)
    /// The `.local-engines` directory could not be found at all.
    case notInstalled(searched: [String])
    /// sherpa-onnx returned NULL while creating the engine (bad model or metadata).
    case engineCreationFailed(engine: String, detail: String)
    /// The input can't be processed (wrong rate, empty text…).
    case invalidInput(engine: String, detail: String)
    /// sherpa-onnx returned no result.
    case processingFailed(engine: String, detail: String)

    public var description: String {
        switch self {
        case .modelFileMissing(let engine, let path):
            return "\(engine): model file missing: \(path) (run scripts/install-local-engines)"
        case .notInstalled(let searched):
            return "local engines not installed (looked for \(searched.joined(separator: ", "))); "
                + "run scripts/install-local-engines or set PARLEY_LOCAL_ENGINES"
        case .engineCreationFailed(let engine, let detail):
            return "\(engine): sherpa-onnx could not create the engine (\(detail)); "
                + "re-run scripts/install-local-engines"
        case .invalidInput(let engine, let detail):
            return "\(engine): \(detail)"
        case .processingFailed(let engine, let detail):
            return "\(engine): \(detail)"
        }
    }
}

/// Where `scripts/install-local-engines` put the models: one value names every file, so the
/// layout is written down once (here and in the script).
public struct LocalEngineFiles: Sendable, Equatable {
    /// The `.local-engines` directory.
    public let root: URL

    public init(root: URL) { self.root = root }

    /// `$PARLEY_LOCAL_ENGINES` if set, else the first `.local-engines` found walking up from the
    /// current directory (so it works from the package root and from `.build` subdirectories).
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment,
                              from start: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        throws -> LocalEngineFiles
    {
        var searched: [String] = []
        if let explicit = environment["PARLEY_LOCAL_ENGINES"], !explicit.isEmpty {
            let url = URL(fileURLWithPath: explicit, isDirectory: true)
            if FileManager.default.fileExists(atPath: url.path) { return LocalEngineFiles(root: url) }
            searched.append(url.path)
        }
        var dir = start.standardizedFileURL
        while true {
            let candidate = dir.appendingPathComponent(".local-engines", isDirectory: true)
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("models").path) {
                return LocalEngineFiles(root: candidate)
            }
            searched.append(candidate.path)
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        throw LocalEngineError.notInstalled(searched: Array(searched.prefix(3)))
    }

    var models: URL { root.appendingPathComponent("models", isDirectory: true) }

    public var sileroVAD: URL { models.appendingPathComponent("silero-vad/silero_vad.onnx") }
    public var moonshineEncoder: URL { models.appendingPathComponent("moonshine-base-en/encoder_model.ort") }
    public var moonshineDecoder: URL { models.appendingPathComponent("moonshine-base-en/decoder_model_merged.ort") }
    public var moonshineTokens: URL { models.appendingPathComponent("moonshine-base-en/tokens.txt") }
    public var piperModel: URL { models.appendingPathComponent("piper-en_US-joe-medium/model.onnx") }
    public var piperTokens: URL { models.appendingPathComponent("piper-en_US-joe-medium/tokens.txt") }

    /// Throws `.modelFileMissing` naming the first missing file.
    static func require(_ files: [URL], engine: String) throws {
        for file in files where !FileManager.default.fileExists(atPath: file.path) {
            throw LocalEngineError.modelFileMissing(engine: engine, path: file.path)
        }
    }
}

/// Keeps C strings alive while a sherpa-onnx config struct that points at them is in use.
/// sherpa-onnx copies every string during `Create…`, so the storage only has to outlive that call.
final class CStrings {
    private var storage: [UnsafeMutablePointer<CChar>] = []

    func callAsFunction(_ s: String) -> UnsafePointer<CChar> {
        let p = strdup(s)!
        storage.append(p)
        return UnsafePointer(p)
    }

    deinit { storage.forEach { free($0) } }
}
