// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// This process's CPU use as a fraction of the machine (0…1), measured between calls with
/// getrusage: the load figure a worker reports (§8 "Keepalive and load reporting").
struct LoadMonitor {
    private var lastCPU: Double
    private var lastWall: Double
    private let cores: Double

    init() {
        lastCPU = Self.cpuSeconds()
        lastWall = Self.wallSeconds()
        cores = Double(max(1, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// CPU used since the last call, over wall time and cores.
    mutating func sample() -> Double {
        let cpu = Self.cpuSeconds()
        let wall = Self.wallSeconds()
        defer {
            lastCPU = cpu
            lastWall = wall
        }
        let elapsed = wall - lastWall
        guard elapsed > 0.05 else { return 0 }
        return min(1, max(0, (cpu - lastCPU) / (elapsed * cores)))
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    static func wallSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
