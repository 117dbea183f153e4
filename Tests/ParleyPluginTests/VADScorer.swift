// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Runs a VAD stage over a labelled track through `EmbeddedPipeline` and scores its turns.
///
/// The track is pushed one input frame at a time and the pipeline run after each push, so the
/// moment an event comes out is known to the frame: its *decision time* is the end of the
/// last input frame pushed. The engine's conversions (re-framing, resampling) sit in front of
/// the VAD exactly as in a live pipeline, so their delay is part of the measurement.
///
/// Scores:
/// - A turn is `[at, speechEnd)` of a `userStartedSpeaking`/`userStoppedSpeaking` pair (run the
///   VAD with `prefix_padding_ms: 0` so `at` is its own onset estimate). A 10 ms frame is
///   predicted speech when its centre lies in a turn.
/// - Precision/recall/F1 and false-alarm rate against the set's turn labels (short pauses
///   bridged) and, as `rawF1`, F1 against the raw 10 ms energy labels. F1 alone flatters a VAD
///   stuck in "speaking" (about 0.78 here, since 63 % of the track is speech): read it with the
///   false-alarm rate and the onset count.
/// - Onset latency per utterance: decision time of the first start event decided inside the
///   utterance's labelled extent, minus its labelled onset. An utterance with no such event
///   (missed, or swallowed by a turn that a false alarm opened earlier) is counted as missed.
/// - False starts: start events decided outside every utterance's extent (+ 300 ms).
struct VADScore: Sendable {
    var precision: Double
    var recall: Double
    var f1: Double
    var rawF1: Double
    /// Non-speech frames (turn labels) predicted speech, over all non-speech frames.
    var falseAlarmRate: Double
    /// Mean onset latency over detected utterances, in ms.
    var onsetLatencyMs: Double
    var detected: Int
    var utterances: Int
    var falseStarts: Int
}

enum VADScorer {
    struct Events {
        var starts: [(at: Nanos, decidedAt: Nanos)] = []
        var stops: [(speechEnd: Nanos, decidedAt: Nanos)] = []
    }

    /// Pushes `samples` in frames of `input` through `stages` and records the VAD events.
    static func run(_ stages: [any Stage], samples: [Int16], input: AudioFormat) throws -> Events {
        let pipeline = try EmbeddedPipeline(stages: stages, input: input)
        pipeline.collectsOutputs = false
        final class Box { var events = Events(); var now: Nanos = 0 }
        let box = Box()
        pipeline.onOutput { frame in
            switch frame {
            case .control(.userStartedSpeaking(let at)): box.events.starts.append((at, box.now))
            case .control(.userStoppedSpeaking(let end)): box.events.stops.append((end, box.now))
            default: break
            }
        }
        pipeline.run()
        let spf = input.samplesPerFrame
        let pool = AudioBufferPool(bufferCapacity: spf)
        var index = 0
        var sequence: UInt64 = 0
        while index < samples.count {
            let n = min(spf, samples.count - index)
            let buffer = pool.acquire()
            samples.withUnsafeBufferPointer { src in buffer.storage.update(from: src.baseAddress! + index, count: n) }
            let ts = Nanos(index) * 1_000_000_000 / Nanos(input.sampleRate)
            let frame = AudioFrame(buffer: buffer, format: input, sampleCount: n, timestamp: ts, sequence: sequence)
            box.now = frame.endTimestamp
            pipeline.push(.audio(frame))
            pipeline.run()
            index += n
            sequence += 1
        }
        pipeline.push(.control(.endOfStream))
        pipeline.run()
        return box.events
    }

    static func score(_ events: Events, on set: LabelledSpeechSet) -> VADScore {
        let n = set.frameCount
        var predicted = [Bool](repeating: false, count: n)
        for (i, start) in events.starts.enumerated() {
            let end = i < events.stops.count ? events.stops[i].speechEnd : Nanos(n) * 10_000_000
            guard end > start.at else { continue }
            let lo = max(0, Int((start.at - 5_000_000 + 9_999_999) / 10_000_000))
            let hi = min(n, Int((end - 5_000_000 + 9_999_999) / 10_000_000))
            if lo < hi { for k in lo..<hi { predicted[k] = true } }
        }
        func prf(_ labels: [Bool]) -> (Double, Double, Double, Double) {
            var tp = 0, fp = 0, fn = 0
            for k in 0..<n {
                switch (predicted[k], labels[k]) {
                case (true, true): tp += 1
                case (true, false): fp += 1
                case (false, true): fn += 1
                default: break
                }
            }
            let p = tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp)
            let r = tp + fn == 0 ? 0 : Double(tp) / Double(tp + fn)
            let negatives = n - tp - fn
            return (p, r, p + r == 0 ? 0 : 2 * p * r / (p + r), negatives == 0 ? 0 : Double(fp) / Double(negatives))
        }
        let (p, r, f1, fa) = prf(set.turnFrames)
        let raw = prf(set.speechFrames).2

        var latencies: [Double] = []
        var used = Set<Int>()
        for span in set.spans {
            if let i = events.starts.indices.first(where: {
                !used.contains($0) && events.starts[$0].decidedAt >= span.onset && events.starts[$0].decidedAt < span.end
            }) {
                used.insert(i)
                latencies.append(Double(events.starts[i].decidedAt - span.onset) / 1e6)
            }
        }
        let hangover: Nanos = 300_000_000
        let falseStarts = events.starts.filter { s in
            !set.spans.contains { s.decidedAt >= $0.onset && s.decidedAt < $0.end + hangover }
        }.count
        return VADScore(precision: p, recall: r, f1: f1, rawF1: raw, falseAlarmRate: fa,
                        onsetLatencyMs: latencies.isEmpty ? .nan : latencies.reduce(0, +) / Double(latencies.count),
                        detected: latencies.count, utterances: set.spans.count, falseStarts: falseStarts)
    }
}
