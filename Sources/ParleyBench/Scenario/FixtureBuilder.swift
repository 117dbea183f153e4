// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyAudio

/// Makes the user's side of a scenario: each utterance spoken by espeak-ng (resampled to
/// 16 kHz by sox, leading and trailing silence trimmed so "end of speech" is the last sample
/// that carries it), laid on one timeline with the scenario's pauses, written as one WAV.
///
/// ```
///   lead_in │ utterance 1 │ pause 1 │ utterance 2 │ pause 2 │ … │ tail (last reply + 2 s)
///           ▲ speech_start  ▲ speech_end
/// ```
///
/// Utterances are cached by (voice, speed, text) in `directory`, so a scenario costs one
/// espeak-ng call per new sentence; the timeline is rebuilt each time (it is cheap).
public struct FixtureBuilder: Sendable {
    public static let sampleRate = 16_000
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    public struct Timeline: Sendable {
        public var wavPath: String
        /// Per turn: where its speech starts and ends on the timeline (ms).
        public var speech: [(start: Double, end: Double)]
        public var durationMs: Double
    }

    public struct FixtureError: Error, CustomStringConvertible {
        public var description: String
    }

    public func build(_ scenario: Scenario) throws -> Timeline {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let rate = Double(Self.sampleRate)
        var samples = [Int16](repeating: 0, count: Int(Double(scenario.leadInMs) / 1000 * rate))
        var speech: [(Double, Double)] = []
        for (i, turn) in scenario.turns.enumerated() {
            let utterance = try self.utterance(turn.say, voice: scenario.voice)
            let start = Double(samples.count) / rate * 1000
            samples += utterance
            speech.append((start, Double(samples.count) / rate * 1000))
            var pause = turn.pauseMs
            if i == scenario.turns.count - 1 {
                // Room for the last reply to play out, whatever pause the scenario gave it.
                let replyMs = Double(turn.reply.count) * scenario.providers.speech.msPerChar / scenario.providers.ttsSpeed
                pause = max(pause, 2000) + Int(replyMs) + 2000
            }
            samples += [Int16](repeating: 0, count: Int(Double(pause) / 1000 * rate))
        }
        var key = Hasher64()
        key.add("\(scenario.voice.name)|\(scenario.voice.wordsPerMinute)|\(scenario.leadInMs)")
        for t in scenario.turns { key.add("|\(t.say)|\(t.pauseMs)|\(t.reply.count)") }
        key.add("|\(scenario.providers.speech.msPerChar)|\(scenario.providers.ttsSpeed)")
        let path = directory.appendingPathComponent("\(scenario.name)-\(key.hex).wav").path
        if !FileManager.default.fileExists(atPath: path) {
            let temp = path + ".part-\(getpid())"
            do {
                try WAVWriter.write(samples, to: temp, sampleRate: Self.sampleRate, channels: 1)
            } catch { throw FixtureError(description: "\(error)") }
            _ = rename(temp, path)
        }
        return Timeline(wavPath: path, speech: speech, durationMs: Double(samples.count) / rate * 1000)
    }

    /// One utterance, 16 kHz mono, trimmed.
    func utterance(_ text: String, voice: Scenario.Voice) throws -> [Int16] {
        var key = Hasher64()
        key.add("\(voice.name)|\(voice.wordsPerMinute)|\(text)")
        let cached = directory.appendingPathComponent("utterance-\(key.hex).wav").path
        if let wav = try? WAVReader.read(path: cached), wav.format.sampleRate == Self.sampleRate { return wav.samples }
        let raw = cached + ".espeak-\(getpid()).wav"
        let resampled = cached + ".16k-\(getpid()).wav"
        defer { unlink(raw); unlink(resampled) }
        try run("espeak-ng", ["-v", voice.name, "-s", "\(voice.wordsPerMinute)", "-w", raw, text],
                hint: "apt-get install espeak-ng")
        try run("sox", [raw, "-r", "\(Self.sampleRate)", "-c", "1", "-b", "16", resampled], hint: "apt-get install sox")
        let wav: WAVFile
        do { wav = try WAVReader.read(path: resampled) } catch { throw FixtureError(description: "\(error)") }
        let trimmed = Self.trim(wav.samples)
        guard !trimmed.isEmpty else { throw FixtureError(description: "espeak-ng produced silence for \"\(text)\"") }
        let temp = cached + ".part-\(getpid())"
        do { try WAVWriter.write(trimmed, to: temp, sampleRate: Self.sampleRate, channels: 1) } catch {
            throw FixtureError(description: "\(error)")
        }
        _ = rename(temp, cached)
        return trimmed
    }

    /// Drops leading and trailing samples below −50 dBFS.
    static func trim(_ samples: [Int16]) -> [Int16] {
        let threshold: Int16 = 100
        guard let first = samples.firstIndex(where: { abs(Int32($0)) > threshold }),
              let last = samples.lastIndex(where: { abs(Int32($0)) > threshold }) else { return [] }
        return Array(samples[first...last])
    }

    private func run(_ tool: String, _ arguments: [String], hint: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + arguments
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        do { try p.run() } catch { throw FixtureError(description: "cannot run \(tool): \(error) (\(hint))") }
        p.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw FixtureError(description: "\(tool) failed (\(p.terminationStatus)): \(message.prefix(300)) (\(hint))")
        }
    }
}

/// FNV-1a, 64 bit: a stable cache key (not a security hash).
struct Hasher64 {
    private var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func add(_ s: String) {
        for b in s.utf8 { value = (value ^ UInt64(b)) &* 0x100_0000_01b3 }
    }
    var hex: String { String(value, radix: 16) }
}
