// SPDX-License-Identifier: Apache-2.0

import CoreMetrics
import Foundation
import Synchronization

/// A swift-metrics backend that keeps every metric in memory and renders the Prometheus text
/// exposition format (version 0.0.4) for `GET /metrics`. Counters are counters; meters and
/// non-aggregating recorders are gauges (last value); timers and aggregating recorders are
/// histograms (timers in seconds). A label and dimension set made twice yields the same series.
///
/// `parley serve` bootstraps `MetricsSystem` with one of these; library code never does (tests
/// pass an instance explicitly).
public final class PrometheusRegistry: MetricsFactory, Sendable {
    /// Histogram bucket upper bounds for timers, in seconds.
    public static let defaultTimerBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                                                       5, 10]
    public static let defaultValueBuckets: [Double] = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]

    enum Kind: String {
        case counter, gauge, histogram
    }

    final class Series: Sendable {
        let kind: Kind
        let labels: [(String, String)]
        let buckets: [Double]
        struct State {
            var value: Double = 0
            var bucketCounts: [UInt64] = []
            var count: UInt64 = 0
            var sum: Double = 0
        }
        let state: Mutex<State>

        init(kind: Kind, labels: [(String, String)], buckets: [Double]) {
            self.kind = kind
            self.labels = labels
            self.buckets = buckets
            state = Mutex(State(bucketCounts: Array(repeating: 0, count: buckets.count)))
        }

        func add(_ v: Double) { state.withLock { $0.value += v } }
        func set(_ v: Double) { state.withLock { $0.value = v } }
        func observe(_ v: Double) {
            state.withLock { s in
                s.count += 1
                s.sum += v
                for (i, bound) in buckets.enumerated() where v <= bound { s.bucketCounts[i] += 1 }
            }
        }
        func reset() { state.withLock { $0 = State(bucketCounts: Array(repeating: 0, count: buckets.count)) } }
    }

    struct Family {
        var kind: Kind
        var series: [String: Series] = [:]
        var order: [String] = []
    }

    private let families = Mutex<[String: Family]>([:])
    private let familyOrder = Mutex<[String]>([])

    public init() {}

    /// Prometheus metric names: `[a-zA-Z_:][a-zA-Z0-9_:]*`; anything else becomes `_`.
    static func sanitizeName(_ name: String) -> String {
        var out = ""
        for (i, scalar) in name.unicodeScalars.enumerated() {
            let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || scalar == "_" || scalar == ":"
                || (i > 0 && scalar >= "0" && scalar <= "9")
            out.unicodeScalars.append(ok ? scalar : "_")
        }
        return out.isEmpty ? "_" : out
    }

    static func sanitizeLabelName(_ name: String) -> String {
        sanitizeName(name).replacingOccurrences(of: ":", with: "_")
    }

    static func escapeLabelValue(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    private func series(_ label: String, _ dimensions: [(String, String)], kind: Kind, buckets: [Double] = []) -> Series {
        let name = Self.sanitizeName(label)
        let labels = dimensions.map { (Self.sanitizeLabelName($0.0), $0.1) }.sorted { $0.0 < $1.0 }
        let key = labels.map { "\($0.0)=\($0.1)" }.joined(separator: "\u{1}")
        let result: (series: Series, isNew: Bool) = families.withLock { all in
            let isNew = all[name] == nil
            var family = all[name] ?? Family(kind: kind)
            if let existing = family.series[key] { return (existing, false) }
            // A name registered as another type keeps its first type; the new series joins it.
            let s = Series(kind: family.kind, labels: labels, buckets: family.kind == .histogram ? buckets : [])
            family.series[key] = s
            family.order.append(key)
            all[name] = family
            return (s, isNew)
        }
        if result.isNew { familyOrder.withLock { if !$0.contains(name) { $0.append(name) } } }
        return result.series
    }

    // MARK: MetricsFactory

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        CounterBox(series(label, dimensions, kind: .counter))
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        CounterBox(series(label, dimensions, kind: .counter))
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        GaugeBox(series(label, dimensions, kind: .gauge))
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        aggregate ? HistogramBox(series(label, dimensions, kind: .histogram, buckets: Self.defaultValueBuckets))
            : GaugeBox(series(label, dimensions, kind: .gauge))
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        HistogramBox(series(label, dimensions, kind: .histogram, buckets: Self.defaultTimerBuckets))
    }

    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}

    /// Sets a gauge directly (values computed at scrape time, e.g. active sessions).
    public func setGauge(_ label: String, _ dimensions: [(String, String)] = [], to value: Double) {
        series(label, dimensions, kind: .gauge).set(value)
    }

    // MARK: Exposition

    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    static func labelText(_ labels: [(String, String)], extra: (String, String)? = nil) -> String {
        var all = labels
        if let extra { all.append(extra) }
        guard !all.isEmpty else { return "" }
        return "{" + all.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// The whole registry in the Prometheus text format.
    public func exposition() -> String {
        let names = familyOrder.withLock { $0 }.sorted()
        let snapshot = families.withLock { $0 }
        var out = ""
        for name in names {
            guard let family = snapshot[name] else { continue }
            out += "# TYPE \(name) \(family.kind.rawValue)\n"
            for key in family.order {
                guard let s = family.series[key] else { continue }
                let state = s.state.withLock { $0 }
                switch family.kind {
                case .counter, .gauge:
                    out += "\(name)\(Self.labelText(s.labels)) \(Self.format(state.value))\n"
                case .histogram:
                    for (i, bound) in s.buckets.enumerated() {
                        out += "\(name)_bucket\(Self.labelText(s.labels, extra: ("le", Self.format(bound)))) "
                            + "\(state.bucketCounts[i])\n"
                    }
                    out += "\(name)_bucket\(Self.labelText(s.labels, extra: ("le", "+Inf"))) \(state.count)\n"
                    out += "\(name)_sum\(Self.labelText(s.labels)) \(Self.format(state.sum))\n"
                    out += "\(name)_count\(Self.labelText(s.labels)) \(state.count)\n"
                }
            }
        }
        return out
    }
}

private final class CounterBox: CounterHandler, FloatingPointCounterHandler, Sendable {
    let series: PrometheusRegistry.Series
    init(_ s: PrometheusRegistry.Series) { series = s }
    func increment(by amount: Int64) { series.add(Double(amount)) }
    func increment(by amount: Double) { series.add(amount) }
    func reset() { series.reset() }
}

private final class GaugeBox: MeterHandler, RecorderHandler, Sendable {
    let series: PrometheusRegistry.Series
    init(_ s: PrometheusRegistry.Series) { series = s }
    func set(_ value: Int64) { series.set(Double(value)) }
    func set(_ value: Double) { series.set(value) }
    func increment(by amount: Double) { series.add(amount) }
    func decrement(by amount: Double) { series.add(-amount) }
    func record(_ value: Int64) { series.set(Double(value)) }
    func record(_ value: Double) { series.set(value) }
}

private final class HistogramBox: RecorderHandler, TimerHandler, Sendable {
    let series: PrometheusRegistry.Series
    init(_ s: PrometheusRegistry.Series) { series = s }
    func record(_ value: Int64) { series.observe(Double(value)) }
    func record(_ value: Double) { series.observe(value) }
    func recordNanoseconds(_ duration: Int64) { series.observe(Double(duration) / 1e9) }
}
