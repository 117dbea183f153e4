// SPDX-License-Identifier: Apache-2.0

/// How an edge's data queue behaves when it is full.
public struct EdgePolicy: Sendable, Hashable, CustomStringConvertible {
    public enum Overflow: String, Sendable, Hashable {
        /// Live media: a new user-audio frame pushes out the oldest queued user-audio frame,
        /// which is counted in `EdgeStats.dropped`. Agent audio, text, LLM and control frames
        /// are never dropped (the queue grows past capacity for them instead, counted in
        /// `EdgeStats.overCapacity`).
        case dropOldestAudio
        /// Offline runs (files processed as fast as possible): nothing is dropped; the engine
        /// stops running the upstream stage while this queue is full (backpressure).
        case backpressure
    }

    /// Data frames held before the overflow policy applies.
    public var capacity: Int
    public var overflow: Overflow

    public init(capacity: Int, overflow: Overflow) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.overflow = overflow
    }

    /// 10 frames (200 ms of 20 ms audio) and drop-oldest: a live call never builds up delay.
    public static let realtime = EdgePolicy(capacity: 10, overflow: .dropOldestAudio)
    /// 32 frames and backpressure: an offline run never loses anything.
    public static let offline = EdgePolicy(capacity: 32, overflow: .backpressure)

    public var description: String { "capacity \(capacity), \(overflow.rawValue)" }
}

/// Counters for one edge. Read them from the runner (`Pipeline.edgeStats`) or the harness.
public struct EdgeStats: Sendable, Hashable {
    /// Data frames accepted into the data lane.
    public var enqueued: UInt64 = 0
    /// Control frames that went through the priority lane.
    public var priorityEnqueued: UInt64 = 0
    /// Audio frames dropped by `dropOldestAudio` overflow.
    public var dropped: UInt64 = 0
    /// Agent-output frames removed by an interruption.
    public var purged: UInt64 = 0
    /// Times a frame that may not be dropped arrived at a full queue and the queue grew past capacity.
    public var overCapacity: UInt64 = 0
    /// Largest number of data frames queued at once.
    public var highWater: Int = 0

    public init() {}
}
