// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The aiortc test peer (Fixtures/pc_peer_aiortc.py) as a child process speaking JSON lines:
/// stdout is read on a background thread into `messages`; `send` writes a line to stdin.
final class AiortcPeerProcess: Sendable {
    /// `<package root>/.test-peers/venv/bin/python`, created by scripts/install-test-peers.
    static let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".test-peers/venv/bin/python").path
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pc_peer_aiortc.py").path

    static var available: Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import aiortc, av"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    // Process and FileHandle are thread-safe for what we do (run once, write, wait):
    // kept behind a Mutex anyway so `send` calls from handler threads don't interleave lines.
    private let io: Mutex<(process: Process, stdin: FileHandle)>
    /// Raw JSON lines from stdout (Data is Sendable; parsed on demand).
    let store = LineStore()

    /// A fixture script next to this file, by name (`Fixtures/<name>`).
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
    }

    init(script: String = AiortcPeerProcess.script, arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [script] + arguments
        let stdout = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        try process.run()
        io = Mutex((process, stdin.fileHandleForWriting))
        let reader = stdout.fileHandleForReading
        let thread = Thread { [store] in
            var buffer = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = buffer[buffer.startIndex..<newline]
                    buffer.removeSubrange(buffer.startIndex...newline)
                    let copy = Data(line)
                    store.lines.withLock { $0.append(copy) }
                }
            }
        }
        thread.start()
    }

    func send(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object) else { return }
        io.withLock { io in
            try? io.stdin.write(contentsOf: data + Data([0x0A]))
        }
    }

    /// The first message `match` accepts, waiting up to `timeout`.
    var messages: [[String: Any]] {
        store.lines.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }

    /// 30 s: starting Python and importing aiortc takes seconds on a loaded 2-core CI machine.
    func waitFor(_ timeout: Duration = .seconds(30), _ match: ([String: Any]) -> Bool) async -> [String: Any]? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let found = messages.first(where: match) { return found }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// The last message `match` accepts, now.


    /// Waits for exit; terminates the process after `timeout`. Returns whether it exited by itself.
    func waitForExit(_ timeout: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !io.withLock({ $0.process.isRunning }) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        io.withLock { $0.process.terminate() }
        return false
    }

    func terminate() {
        io.withLock { if $0.process.isRunning { $0.process.terminate() } }
    }

    /// SIGKILL: the peer vanishes without sending anything (no close_notify, no ABORT).
    func kill() {
        io.withLock { io in
            if io.process.isRunning { _ = Glibc.kill(io.process.processIdentifier, SIGKILL) }
        }
    }

    var isRunning: Bool { io.withLock { $0.process.isRunning } }
}

/// Quality of a received pure tone, aligned per 20 ms frame: each frame of the analysed
/// window gets its own least-squares fit a·cos(ωn) + b·sin(ωn) + c (the fit finds the phase,
/// so no delay search is needed). Per frame, because a jitter buffer legitimately moves the
/// playout point by whole frames (a dropped or inserted frame shifts the tone's phase), and
/// both receivers deliver frame-aligned audio. What the fits cannot explain — codec error,
/// corruption, concealment, splice glitches inside a frame — is the noise.
/// SNR = Σ fitted tone power / Σ residual power; correlation = √(tone / total).
struct ToneQuality {
    var snrDB: Double
    var correlation: Double
    var analysedSamples: Int
    /// The worst single frame's SNR.
    var worstFrameSNRDB: Double

    init?(_ samples: [Int16], frequency: Double = 440, sampleRate: Double = 48_000, frame: Int = 960, skip: Int = 9_600,
          window: Int = 96_000, minimum: Int = 24_000) {  // ≥ 0.5 s of tone: a loaded CI machine can start the call late
        guard let onset = stride(from: 0, to: max(0, samples.count - frame), by: frame).first(where: { start in
            let rms = (samples[start..<start + frame].reduce(0.0) { $0 + Double($1) * Double($1) } / Double(frame)).squareRoot()
            return rms > 2_000
        }) else { return nil }
        let start = onset + skip
        let end = start + min(samples.count - start, window) / frame * frame
        guard end - start >= minimum else { return nil }
        let w = 2 * Double.pi * frequency / sampleRate
        var tone = 0.0
        var residual = 0.0
        var total = 0.0
        var worst = Double.infinity
        for blockStart in stride(from: start, to: end, by: frame) {
            var m = [[Double]](repeating: [0, 0, 0], count: 3)
            var v = [0.0, 0.0, 0.0]
            for n in blockStart..<blockStart + frame {
                let basis = [cos(w * Double(n)), sin(w * Double(n)), 1]
                let x = Double(samples[n])
                for i in 0..<3 {
                    v[i] += basis[i] * x
                    for j in 0..<3 { m[i][j] += basis[i] * basis[j] }
                }
            }
            guard let k = Self.solve(m, v) else { return nil }
            var blockTone = 0.0
            var blockResidual = 0.0
            for n in blockStart..<blockStart + frame {
                let fit = k[0] * cos(w * Double(n)) + k[1] * sin(w * Double(n)) + k[2]
                let x = Double(samples[n])
                blockTone += fit * fit
                blockResidual += (x - fit) * (x - fit)
                total += x * x
            }
            tone += blockTone
            residual += blockResidual
            worst = min(worst, 10 * log10(blockTone / max(blockResidual, 1e-9)))
        }
        snrDB = 10 * log10(tone / max(residual, 1e-9))
        correlation = (tone / max(total, 1e-9)).squareRoot()
        analysedSamples = end - start
        worstFrameSNRDB = worst
    }

    /// Gaussian elimination with partial pivoting for a 3×3 system.
    private static func solve(_ matrix: [[Double]], _ vector: [Double]) -> [Double]? {
        var a = matrix
        var b = vector
        let n = b.count
        for column in 0..<n {
            guard let pivot = (column..<n).max(by: { abs(a[$0][column]) < abs(a[$1][column]) }), abs(a[pivot][column]) > 1e-12
            else { return nil }
            a.swapAt(column, pivot)
            b.swapAt(column, pivot)
            for row in column + 1..<n {
                let factor = a[row][column] / a[column][column]
                for k in column..<n { a[row][k] -= factor * a[column][k] }
                b[row] -= factor * b[column]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var sum = b[row]
            for k in row + 1..<n { sum -= a[row][k] * x[k] }
            x[row] = sum / a[row][row]
        }
        return x
    }
}

/// Byte i of the test message with seed s: (i × 31 + s) mod 256 (as the fixture).
func testPayload(count: Int, seed: Int) -> [UInt8] {
    (0..<count).map { UInt8(($0 * 31 + seed) % 256) }
}

/// 20 ms of the 440 Hz test tone (amplitude 0.4) starting at sample `offset`.
func toneFrame(offset: Int) -> [Int16] {
    (0..<960).map { Int16(0.4 * 32767 * sin(2 * Double.pi * 440 * Double(offset + $0) / 48_000)) }
}

final class LineStore: Sendable {
    let lines = Mutex<[Data]>([])
}
