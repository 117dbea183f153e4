// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Holds a packet that does not fit the current stream (a new SSRC, or a sequence or
/// timestamp jump) until a second packet confirms that the stream really restarted, as the
/// source validation of RFC 3550 §A.1 does with `probation`: one stray or garbage packet must
/// not throw away a healthy buffer, but a real restart must be followed within a packet.
///
/// The candidate's payload is kept (fixed storage), so a confirmed restart loses nothing.
struct StreamProbation {
    struct Candidate {
        var ssrc: UInt32
        var sequenceNumber: UInt16
        var timestamp: UInt32
        var arrival: Nanos
        var length: Int
    }

    private(set) var candidate: Candidate?
    private var storage: [UInt8]

    init(maxPayloadBytes: Int) {
        storage = [UInt8](repeating: 0, count: max(maxPayloadBytes, 1))
    }

    /// True when `packet` continues the held candidate: same SSRC, the next 1–3 sequence
    /// numbers, a timestamp no more than `maxTimestampStep` ahead, within `maxGap` of time.
    func confirms(ssrc: UInt32, sequenceNumber: UInt16, timestamp: UInt32, arrival: Nanos,
                  maxTimestampStep: Int64, maxGap: Nanos) -> Bool {
        guard let c = candidate, c.ssrc == ssrc else { return false }
        let ds = RTPSerial.distance(from: c.sequenceNumber, to: sequenceNumber)
        let dt = RTPSerial.distance(from: c.timestamp, to: timestamp)
        return (1...3).contains(ds) && dt >= 0 && dt <= maxTimestampStep * Int64(ds)
            && arrival - c.arrival <= maxGap && arrival >= c.arrival
    }

    /// Holds this packet as the candidate (replacing any earlier one).
    mutating func hold(ssrc: UInt32, sequenceNumber: UInt16, timestamp: UInt32, arrival: Nanos,
                       payload: UnsafeRawBufferPointer) {
        let n = min(payload.count, storage.count)
        storage.withUnsafeMutableBytes { dst in
            if n > 0, let src = payload.baseAddress { dst.baseAddress!.copyMemory(from: src, byteCount: n) }
        }
        candidate = Candidate(ssrc: ssrc, sequenceNumber: sequenceNumber, timestamp: timestamp,
                              arrival: arrival, length: n)
    }

    /// Calls `body` with the candidate's payload.
    func withCandidatePayload<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<(candidate?.length ?? 0)])) }
    }

    mutating func clear() { candidate = nil }
}
