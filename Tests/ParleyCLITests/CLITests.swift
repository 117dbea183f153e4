// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyTestSupport
import Testing

/// Drives the real `parley` executable from the build directory.
@Suite("parley CLI", .serialized)
struct CLITests {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The `parley` binary next to the test bundle (same build configuration and scratch path).
    static var binary: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // The test runner may live inside an .xctest bundle directory.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("parley").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("parley")
    }

    func run(_ args: [String], env: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = Self.binary
        p.arguments = args
        p.currentDirectoryURL = Self.packageRoot
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }

    func tempFile(_ name: String, _ contents: Data) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parley-cli-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try contents.write(to: url)
        return url.path
    }

    @Test("the README's main job runs on the shipped question and writes a reply with a latency table")
    func mainJob() throws {
        let out = try tempFile("reply.wav", Data())
        let r = try run(["run", "--config", "Examples/local.yaml", "--input", "Examples/question.wav", "--output", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Per-turn latency"))
        #expect(r.stdout.contains("voice-to-voice"))
        let size = (try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
        #expect(size > 44 + 48_000) // more than half a second of 48 kHz audio
        #expect(r.stdout.contains("in 1 turn(s)"))
    }

    @Test("a corrupt WAV gives one error line and exit 1")
    func corruptWAV() throws {
        let bad = try tempFile("corrupt.wav", Data("RIFF\u{0}\u{0}\u{0}\u{0}WAVEjunkjunk".utf8))
        let r = try run(["run", "--config", "Examples/local.yaml", "--input", bad, "--output", bad + ".out.wav"])
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("parley: error: \(bad): not a usable WAV file:") == true, "\(r.stderr)")
    }

    @Test("a missing input file is reported, not crashed on")
    func missingWAV() throws {
        let r = try run(["run", "--config", "Examples/local.yaml", "--input", "/nonexistent/q.wav", "--output", "/tmp/x.wav"])
        #expect(r.status == 1)
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(r.stderr.hasPrefix("parley: error: /nonexistent/q.wav"))
    }

    @Test("an unknown provider gives the file:line:key error and exit 2")
    func unknownProvider() throws {
        let cfg = try tempFile("unknown.yaml", Data("pipeline:\n  vad: nosuchvad\n".utf8))
        let r = try run(["run", "--config", cfg, "--input", "Examples/question.wav", "--output", "/tmp/x.wav"])
        #expect(r.status == 2)
        // silero is in the list only in builds with the local engines (scripts/test always has them).
        let allowed = FileManager.default.fileExists(atPath: Self.packageRoot.appendingPathComponent(".local-engines").path)
            ? "energy, silero, webrtc" : "energy, webrtc"
        #expect(r.stderr == "parley: error: \(cfg):2:8: pipeline.vad: \"nosuchvad\" is not a registered vad provider (allowed: \(allowed))\n")
    }

    @Test("a bad option type gives the file:line:key error and exit 2")
    func badOptionType() throws {
        let cfg = try tempFile("badopt.yaml", Data("pipeline:\n  vad: { provider: energy, min_speech_ms: [1, 2] }\n".utf8))
        let r = try run(["run", "--config", cfg, "--input", "Examples/question.wav", "--output", "/tmp/x.wav"])
        #expect(r.status == 2)
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(r.stderr.hasPrefix("parley: error: \(cfg):2:43: pipeline.vad.min_speech_ms: <sequence>"), "\(r.stderr)")
    }

    @Test("bad dispatch metadata names the field")
    func badMetadata() throws {
        let r = try run(["run", "--config", "Examples/local.yaml", "--input", "Examples/question.wav", "--output",
                         "/tmp/x.wav", "--metadata", #"{"vad_enabled": "sometimes"}"#])
        #expect(r.status == 2)
        #expect(r.stderr.contains("vad_enabled"), "\(r.stderr)")
    }

    @Test("--events writes one JSON object per turn")
    func eventsFile() throws {
        let events = try tempFile("events.jsonl", Data())
        let r = try run(["run", "--config", "Examples/local.yaml", "--input", "Examples/question.wav", "--output",
                         events + ".wav", "--events", events])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n")
        let turns = lines.filter { $0.contains("\"event\":\"turn\"") }
        #expect(turns.count == 1)
        for l in lines { #expect((try? JSONSerialization.jsonObject(with: Data(l.utf8))) != nil, "\(l)") }
    }

    @Test("parley token mints a token that parley token --verify accepts; a wrong secret is refused by name")
    func tokenCommand() throws {
        let mint = try run(["token", "--api-key", "devkey", "--api-secret", "secret", "--identity", "u1", "--room", "r1",
                            "--agent", "support-agent"])
        #expect(mint.status == 0, "\(mint.stderr)")
        let jwt = mint.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(jwt.split(separator: ".").count == 3)
        let ok = try run(["token", "--verify", jwt], env: ["LIVEKIT_API_KEY": "devkey", "LIVEKIT_API_SECRET": "secret"])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("\"agentName\" : \"support-agent\""))
        let bad = try run(["token", "--verify", jwt, "--api-key", "devkey", "--api-secret", "wrong"])
        #expect(bad.status == 1)
        #expect(bad.stderr == "parley: error: token signature does not match the API secret\n")
        #expect(!bad.stderr.contains(jwt))
    }

    @Test("parley room and dispatch commands work against the LiveKit test server, and name the cause on failure")
    func roomAndDispatchCommands() throws {
        let server = try LiveKitTestServerProcess()
        defer { server.stop() }
        let port = server.port
        let env = ["LIVEKIT_URL": "ws://127.0.0.1:\(port)", "LIVEKIT_API_KEY": "devkey", "LIVEKIT_API_SECRET": "secret"]

        let create = try run(["room", "create", "support-7", "--max-participants", "2", "--agent", "support-agent"], env: env)
        #expect(create.status == 0, "\(create.stderr)")
        #expect(create.stdout.contains("support-7"))
        let list = try run(["room", "list"], env: env)
        #expect(list.status == 0 && list.stdout.contains("support-7"), "\(list.stdout)\(list.stderr)")
        let dispatches = try run(["dispatch", "list", "--room", "support-7"], env: env)
        #expect(dispatches.status == 0 && dispatches.stdout.contains("support-agent"), "\(dispatches.stdout)\(dispatches.stderr)")
        let delete = try run(["room", "delete", "support-7"], env: env)
        #expect(delete.status == 0, "\(delete.stderr)")
        let again = try run(["room", "delete", "support-7"], env: env)
        #expect(again.status == 1)
        #expect(again.stderr.hasPrefix("parley: error:") && again.stderr.contains("not_found"), "\(again.stderr)")
        var wrong = env
        wrong["LIVEKIT_API_SECRET"] = "wrong"
        let denied = try run(["room", "list"], env: wrong)
        #expect(denied.status == 1 && denied.stderr.contains("unauthenticated"), "\(denied.stderr)")
        #expect(!denied.stderr.contains("wrong"))
    }

    @Test("parley bench run refuses a malformed scenario with file:line:column and the key, exit 2")
    func benchRejectsMalformedScenario() throws {
        let bad = try tempFile("bad-scenario.yaml", Data("""
        turns:
          - say: Hello there.
            reply: Hi.
        providers:
          llm: { ttft_ms: { gamma: { shape: 2 } } }
        """.utf8))
        let r = try run(["bench", "run", bad, "--quiet", "--results", bad + ".results"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("\(bad):5:"), "\(r.stderr)")
        #expect(r.stderr.contains("gamma") && r.stderr.contains("providers.llm.ttft_ms"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: bad + ".results"), "nothing is written for a refused scenario")
        let missing = try run(["bench", "compare", bad, "--python", "/nonexistent/python"])
        #expect(missing.status == 2 && missing.stderr.contains("install-bench-peers"), "\(missing.stderr)")
    }

    @Test("parley bench run stopped with Ctrl-C (SIGINT) writes the partial report and exits 130")
    func benchInterruptedWritesPartialReport() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-bench-sigint-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let p = Process()
        p.executableURL = Self.binary
        p.arguments = ["bench", "run", "Benchmarks/Scenarios/two-turns.yaml", "--rounds", "1", "--quiet",
                       "--results", folder.path, "--fixtures", FileManager.default.temporaryDirectory.appendingPathComponent("parley-bench-fixtures").path]
        p.currentDirectoryURL = Self.packageRoot
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // After the first turn has been answered (about 4 s into the scenario, plus start-up).
        Thread.sleep(forTimeInterval: 7)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        let report = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("PARTIAL"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("results.json").path))
    }

    @Test("parley bench compare runs pipecat and livekit-agents (tuned) beside Parley on one scenario; every run answers")
    func benchCompareWithTheFrameworks() throws {
        let python = Self.packageRoot.appendingPathComponent(".bench-peers/venv/bin/python").path
        try #require(FileManager.default.isExecutableFile(atPath: python),
                     "the bench venv is missing: scripts/install-bench-peers (scripts/test runs it)")
        let scenario = try tempFile("compare.yaml", Data("""
        name: compare-smoke
        rounds: 1
        lead_in_ms: 500
        turns:
          - say: What is the weather like in Paris today?
            reply: It is sunny in Paris. Expect twenty degrees.
            pause_ms: 2000
        providers:
          stt: { final_after_ms: 150 }
          llm: { ttft_ms: 250, tokens_per_s: 80 }
          tts: { ttfb_ms: 120 }
        """.utf8))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-bench-compare-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try run(["bench", "compare", scenario, "--variants", "tuned", "--quiet", "--results", folder.path,
                         "--python", python])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let data = try Data(contentsOf: folder.appendingPathComponent("results.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let runs = try #require(json["runs"] as? [[String: Any]])
        let labels = runs.compactMap { r -> String? in
            guard let f = r["framework"] as? String, let v = r["variant"] as? String else { return nil }
            return "\(f)/\(v)"
        }
        #expect(Set(labels) == ["parley/default", "parley/tuned", "pipecat/tuned", "livekit-agents/tuned"], "\(labels)")
        for run in runs {
            let turns = run["turns"] as? [[String: Any]] ?? []
            #expect(turns.count == 1 && turns.allSatisfy { $0["voiceToVoiceMs"] is Double },
                    "\(run["framework"] ?? "?")/\(run["variant"] ?? "?") did not answer: \(run["failures"] ?? [])")
        }
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("report.md").path))
    }
}
