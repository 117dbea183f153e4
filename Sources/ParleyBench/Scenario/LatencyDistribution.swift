// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

/// How long a simulated provider takes, in milliseconds: a constant or a distribution drawn
/// from with the scenario's seed. Draws are never negative.
///
/// In a scenario:
/// ```yaml
/// ttft_ms: 300                                   # constant
/// ttft_ms: { normal: { mean: 300, sd: 40 } }
/// ttft_ms: { lognormal: { median: 300, p95: 520 } }   # the long tail providers have
/// ttft_ms: { uniform: { min: 250, max: 350 } }
/// ```
public enum LatencyDistribution: Sendable, Hashable, CustomStringConvertible {
    case constant(Double)
    case normal(mean: Double, sd: Double)
    case lognormal(median: Double, p95: Double)
    case uniform(min: Double, max: Double)

    public func draw(_ rng: inout SeededRandom) -> Double {
        switch self {
        case .constant(let v):
            return v
        case .normal(let mean, let sd):
            return max(0, mean + sd * rng.standardNormal())
        case .lognormal(let median, let p95):
            // ln X ~ N(μ, σ): median = e^μ, p95 = e^(μ + 1.6449σ).
            let mu = log(median)
            let sigma = p95 > median ? (log(p95) - mu) / 1.6448536 : 0
            return exp(mu + sigma * rng.standardNormal())
        case .uniform(let lo, let hi):
            return lo + (hi - lo) * rng.unit()
        }
    }

    public var description: String {
        func f(_ v: Double) -> String { String(format: "%g", v) }
        switch self {
        case .constant(let v): return "\(f(v)) ms"
        case .normal(let m, let s): return "normal(mean \(f(m)), sd \(f(s))) ms"
        case .lognormal(let m, let p): return "lognormal(median \(f(m)), p95 \(f(p))) ms"
        case .uniform(let a, let b): return "uniform(\(f(a))…\(f(b))) ms"
        }
    }

    static let allowed = "a number of ms, or { normal: { mean, sd } }, { lognormal: { median, p95 } }, { uniform: { min, max } }"

    /// Reads a distribution; errors name the file, line and key.
    public init(node: ConfigNode, range: ClosedRange<Double> = 0...60_000) throws {
        if case .scalar = node.kind {
            self = .constant(try node.double(in: range))
            return
        }
        let entries = try node.mapping()
        guard entries.count == 1, let entry = entries.first else {
            throw node.error("is not a latency", allowed: Self.allowed)
        }
        let body = entry.value
        switch entry.key {
        case "constant":
            self = .constant(try body.double(in: range))
        case "normal":
            try body.rejectUnknownKeys(allowed: ["mean", "sd"])
            self = .normal(mean: try body.require("mean").double(in: range),
                           sd: try body.require("sd").double(in: 0...range.upperBound))
        case "lognormal":
            try body.rejectUnknownKeys(allowed: ["median", "p95"])
            let median = try body.require("median").double(in: max(range.lowerBound, 0.001)...range.upperBound)
            let p95Node = try body.require("p95")
            let p95 = try p95Node.double(in: range)
            guard p95 >= median else { throw p95Node.error("is below the median (\(median))", allowed: "p95 ≥ median") }
            self = .lognormal(median: median, p95: p95)
        case "uniform":
            try body.rejectUnknownKeys(allowed: ["min", "max"])
            let lo = try body.require("min").double(in: range)
            let hiNode = try body.require("max")
            let hi = try hiNode.double(in: range)
            guard hi >= lo else { throw hiNode.error("is below min (\(lo))", allowed: "max ≥ min") }
            self = .uniform(min: lo, max: hi)
        default:
            throw ConfigError(location: entry.keyLocation, keyPath: body.keyPath, value: entry.key,
                              problem: "is not a latency distribution", allowed: Self.allowed)
        }
    }
}

/// SplitMix64: small, fast, and the same sequence for the same seed on every machine, so a
/// scenario's draws can be reproduced from its seed.
public struct SeededRandom: Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Box–Muller.
    public mutating func standardNormal() -> Double {
        let u1 = max(unit(), 1e-12)
        let u2 = unit()
        return sqrt(-2 * log(u1)) * cos(2 * .pi * u2)
    }
}
