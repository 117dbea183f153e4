// SPDX-License-Identifier: Apache-2.0

import Foundation

/// A framework runner in the bench venv (`scripts/install-bench-peers`): pipecat or
/// livekit-agents, one variant, one round. It reads the resolved scenario and writes raw
/// records (PROTOCOL.md); a Ctrl-C reaches it as SIGINT and it writes what it has.
public struct PythonRunner: Sendable {
    public var framework: String
    public var variant: String
    public var script: String
    public var python: String

    public init(framework: String, variant: String, script: String, python: String) {
        self.framework = framework; self.variant = variant; self.script = script; self.python = python
    }

    public var label: String { "\(framework) (\(variant))" }

    public struct Failure: Error, CustomStringConvertible { public var description: String }

    /// Runs one round; returns its records (partial if stopped).
    public func run(scenarioFile: String, recordsFile: String, sessions: Int, stop: StopFlag) throws -> [RawRecord] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script, "--scenario", scenarioFile, "--variant", variant, "--out", recordsFile,
                       "--sessions", "\(sessions)"]
        let errPipe = Pipe()
        p.standardError = errPipe
        p.standardOutput = FileHandle.nullDevice
        // Read stderr as it comes, so a chatty framework cannot fill the pipe and stall.
        let errText = StderrTail()
        errPipe.fileHandleForReading.readabilityHandler = { h in errText.append(h.availableData) }
        do { try p.run() } catch { throw Failure(description: "\(label): cannot start \(python): \(error)") }
        var interrupted = false
        while p.isRunning {
            if stop.isSet && !interrupted {
                interrupted = true
                kill(p.processIdentifier, SIGINT)
            }
            usleep(50_000)
        }
        errPipe.fileHandleForReading.readabilityHandler = nil
        let text = (try? String(contentsOfFile: recordsFile, encoding: .utf8)) ?? ""
        let records: [RawRecord]
        do { records = try RawRecordCodec.decodeAll(text) } catch {
            throw Failure(description: "\(label): \(recordsFile): \(error)")
        }
        if p.terminationStatus != 0 && !(interrupted && p.terminationStatus == 130) {
            throw Failure(description: "\(label) exited with \(p.terminationStatus): \(errText.tail)")
        }
        return records
    }
}

/// The last few lines a runner wrote to stderr (for its failure message).
final class StderrTail: Sendable {
    private let text = Mutex("")
    func append(_ data: Data) {
        guard !data.isEmpty else { return }
        text.withLock { t in
            t += String(decoding: data, as: UTF8.self)
            if t.count > 4000 { t = String(t.suffix(2000)) }
        }
    }
    var tail: String {
        text.withLock { t in
            t.split(separator: "\n").suffix(4).joined(separator: " ⏎ ")
        }
    }
}

import Synchronization
