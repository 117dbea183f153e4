// SPDX-License-Identifier: Apache-2.0

import Foundation

/// CPU time and memory of this process (getrusage, /proc/self/status).
public struct ProcessResources: Sendable {
    public var cpuSeconds: Double
    public var rssMB: Double
    public var peakRSSMB: Double

    public static func now() -> ProcessResources {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        var rss = 0.0, peak = 0.0
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in status.split(separator: "\n") {
                let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
                if line.hasPrefix("VmRSS:") { rss = kb / 1024 }
                if line.hasPrefix("VmHWM:") { peak = kb / 1024 }
            }
        }
        return ProcessResources(cpuSeconds: cpu, rssMB: rss, peakRSSMB: peak)
    }
}
