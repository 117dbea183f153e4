// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Network traces as CSV: one packet per line, `arrival_ms,seq,ts,size` (arrival in
/// milliseconds on the receiver's clock, may be fractional; RTP sequence number and timestamp
/// as unsigned integers; payload bytes, ≤ 2 meaning DTX). A header line, blank lines and
/// lines starting with `#` are skipped. Lines may be in any order; lost packets are absent.
public enum TraceCSV {
    public static let header = "arrival_ms,seq,ts,size"

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var source: String
        public var line: Int
        public var reason: String
        public var description: String { line > 0 ? "\(source):\(line): \(reason)" : "\(source): \(reason)" }
    }

    /// Parses CSV text. The frame size is inferred from the most common timestamp step
    /// between consecutive sequence numbers (default 960).
    public static func parse(_ text: String, name: String, clockRate: Int = 48_000) throws(ParseError) -> NetworkTrace {
        var packets: [TracePacket] = []
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
            if packets.isEmpty && fields.first.map({ Double($0) == nil }) == true { continue } // header
            guard fields.count == 4 else {
                throw ParseError(source: name, line: lineNumber, reason: "expected 4 fields (\(header)), got \(fields.count)")
            }
            guard let ms = Double(fields[0]), ms.isFinite, abs(ms) < 1e12 else {
                throw ParseError(source: name, line: lineNumber, reason: "arrival_ms '\(fields[0])' is not a number")
            }
            guard let seq = UInt16(fields[1]) else {
                throw ParseError(source: name, line: lineNumber, reason: "seq '\(fields[1])' is not in 0...65535")
            }
            guard let ts = UInt32(fields[2]) else {
                throw ParseError(source: name, line: lineNumber, reason: "ts '\(fields[2])' is not in 0...4294967295")
            }
            guard let size = Int(fields[3]), size >= 0, size <= 65_535 else {
                throw ParseError(source: name, line: lineNumber, reason: "size '\(fields[3])' is not in 0...65535")
            }
            packets.append(TracePacket(arrival: Nanos(ms * 1e6), sequenceNumber: seq, timestamp: ts, size: size))
        }
        guard !packets.isEmpty else { throw ParseError(source: name, line: 0, reason: "no packets") }
        let order = packets.indices.sorted { packets[$0].arrival != packets[$1].arrival
            ? packets[$0].arrival < packets[$1].arrival : $0 < $1 }
        let sorted = order.map { packets[$0] }
        return NetworkTrace(name: name, clockRate: clockRate, frameSamples: inferFrameSamples(sorted), packets: sorted)
    }

    /// Reads and parses a CSV file.
    public static func read(path: String, clockRate: Int = 48_000) throws(ParseError) -> NetworkTrace {
        let bytes: [UInt8]
        do {
            bytes = try WAVPOSIX.readAll(path: path)
        } catch {
            throw ParseError(source: path, line: 0, reason: error.reason)
        }
        return try parse(String(decoding: bytes, as: UTF8.self), name: path, clockRate: clockRate)
    }

    /// Renders a trace as CSV (with header), arrival order.
    public static func render(_ trace: NetworkTrace) -> String {
        var out = header + "\n"
        for p in trace.packets {
            out += "\(formatMilliseconds(p.arrival)),\(p.sequenceNumber),\(p.timestamp),\(p.size)\n"
        }
        return out
    }

    /// Milliseconds with microsecond precision ("12.345"), exact for integral nanoseconds.
    static func formatMilliseconds(_ nanos: Nanos) -> String {
        let us = nanos / 1_000
        let sign = us < 0 ? "-" : ""
        let a = abs(us)
        let frac = a % 1_000
        let fracText = frac < 10 ? "00\(frac)" : frac < 100 ? "0\(frac)" : "\(frac)"
        return "\(sign)\(a / 1_000).\(fracText)"
    }

    static func inferFrameSamples(_ packets: [TracePacket]) -> Int {
        var unwrapper = SequenceNumberUnwrapper()
        var keyed: [(Int64, UInt32)] = []
        keyed.reserveCapacity(packets.count)
        for p in packets {
            let s = unwrapper.extend(p.sequenceNumber)
            unwrapper.accept(s)
            keyed.append((s, p.timestamp))
        }
        keyed.sort { $0.0 < $1.0 }
        var counts: [Int64: Int] = [:]
        for i in 1..<max(keyed.count, 1) where keyed[i].0 == keyed[i - 1].0 + 1 {
            let step = RTPSerial.distance(from: keyed[i - 1].1, to: keyed[i].1)
            if step > 0 && step <= 5_760 { counts[step, default: 0] += 1 }
        }
        guard let best = counts.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }) else { return 960 }
        return Int(best.key)
    }
}

private extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s = s.dropLast() }
        return s
    }
}
