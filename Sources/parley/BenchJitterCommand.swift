// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import Foundation
import ParleyAudio
import ParleyCore

/// `parley bench jitter`: replays network traces through the adaptive jitter buffer on
/// simulated time and compares it with the best fixed delay chosen in hindsight.
struct BenchJitterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jitter",
        abstract: "Evaluate the adaptive jitter buffer on network traces against the best fixed delay in hindsight.",
        discussion: """
        Traces are replayed on simulated time (a 10-minute trace takes about a second). For each trace \
        it prints the mean and 95th-percentile playout delay (time a played packet waited in the buffer), \
        the late loss ((late + dropped) / received), concealment, and the oracle: the smallest fixed delay \
        that would have had at most as many late packets. Named traces: \
        \(NamedTraces.all.joined(separator: ", ")). A CSV trace has one packet per line: arrival_ms,seq,ts,size.
        """)

    @Option(help: "A named synthetic trace, or a CSV file (arrival_ms,seq,ts,size).")
    var trace: String = "jitter-20ms"

    @Option(help: "Length of a synthetic trace in seconds (default 60; 600 for the drift traces).")
    var seconds: Double?

    @Option(help: "Seed of the synthetic traces (same seed, same trace).")
    var seed: UInt64 = 1

    @Flag(help: "Run the six headline traces, the 10-minute drift runs and the extra traces; print the tables.")
    var all = false

    @Option(help: "Also write the synthetic trace to this CSV file (with a named --trace).")
    var writeTrace: String?

    func validate() throws {
        if let seconds, !(seconds > 0 && seconds <= 24 * 3600) {
            throw ValidationError("--seconds must be in (0, 86400]")
        }
        if all && writeTrace != nil { throw ValidationError("--write-trace takes a single --trace, not --all") }
    }

    func run() throws {
        let duration = seconds.map { Nanos.seconds($0) }
        if all {
            let started = Date()
            let headline = NamedTraces.headline.compactMap {
                JitterBufferEvaluation.run(named: $0, duration: duration, seed: seed)
            }
            print("Adaptive jitter buffer vs. the best fixed delay in hindsight (seed \(seed))")
            print(EvaluationReport.table(headline))
            let worst = headline.map(\.ratio).max() ?? 0
            let ok = headline.allSatisfy { $0.ratio <= 1.25 && $0.oracle.late <= $0.lateLoss }
            print("worst ratio \(EvaluationReport.fixed(worst, 2)): \(ok ? "within" : "NOT within") 1.25 × oracle")
            print("")
            let drift = NamedTraces.drift.compactMap {
                JitterBufferEvaluation.run(named: $0, duration: duration, seed: seed)
            }
            print("Clock drift (bounded: no growth, no starvation)")
            print(EvaluationReport.driftTable(drift))
            print("")
            let extra = NamedTraces.extra.compactMap {
                JitterBufferEvaluation.run(named: $0, duration: duration, seed: seed)
            }
            print("More traces")
            print(EvaluationReport.table(extra))
            print(String(format: "\n(%.1f s)", Date().timeIntervalSince(started)))
            return
        }

        let networkTrace: NetworkTrace
        if let model = NamedTraces.model(named: trace, duration: duration) {
            networkTrace = model.generate(seed: seed)
            if let writeTrace {
                guard FileManager.default.createFile(atPath: writeTrace, contents: Data(TraceCSV.render(networkTrace).utf8))
                else { throw CLIFailure(message: "\(writeTrace): cannot write the trace") }
            }
        } else if trace.lowercased().hasSuffix(".csv") || FileManager.default.fileExists(atPath: trace) {
            if writeTrace != nil { throw ValidationError("--write-trace needs a named synthetic --trace") }
            do {
                networkTrace = try TraceCSV.read(path: trace)
            } catch {
                throw CLIFailure(message: "\(error)", exitCode: 2)
            }
        } else {
            throw CLIFailure(message: "unknown trace '\(trace)' (named traces: \(NamedTraces.all.joined(separator: ", ")); "
                             + "or a CSV file: arrival_ms,seq,ts,size)", exitCode: 2)
        }
        let result = JitterBufferEvaluation.run(networkTrace)
        print(EvaluationReport.table([result]))
        if result.duration >= Nanos.seconds(120.0) {
            print("")
            print(EvaluationReport.driftTable([result]))
        }
        let s = result.stats
        print("")
        print("packets: \(result.sent) sent, \(result.received) received, \(s.late) late, \(s.duplicate) duplicate, "
              + "\(s.reordered) reordered, \(s.invalid) invalid, \(s.outOfStream) out of stream; "
              + "frames: \(s.decoded) decoded, \(s.concealed) concealed, \(s.fecRecovered) FEC, \(s.silence) silence; "
              + "\(s.lost) lost at playout, \(s.resets) resets, \(s.rebuffers) rebuffers, peak mode \(s.peakMode ? "on" : "off")")
    }
}
