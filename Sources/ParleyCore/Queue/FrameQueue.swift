// SPDX-License-Identifier: Apache-2.0

/// The queue on one edge of the pipeline graph: a bounded **data lane** and a **priority lane**.
///
/// ```
///   upstream stage ──push──►  priority lane  [ctl][ctl]           ──pop first──►  downstream stage
///                             data lane      [a][a][txt][eos][a]  ──then───────►
/// ```
///
/// - Priority control frames (`Frame.overtakesData`) go to the priority lane and are always
///   popped before any data, so they overtake a full data lane on every hop.
/// - Everything else (data and in-band control) keeps its order in the data lane.
/// - When an interruption enters the queue, the agent-output data it cancels is purged from
///   the data lane at once (the interruption must not wait behind what it cancels).
/// - Overflow follows the edge's `EdgePolicy`.
///
/// Not thread-safe: all edges of a pipeline are touched only by its loop.
public final class FrameQueue {
    public let policy: EdgePolicy
    public private(set) var stats = EdgeStats()
    private let data: FrameRing
    private let priority: FrameRing

    public init(policy: EdgePolicy) {
        self.policy = policy
        data = FrameRing(capacity: policy.capacity)
        priority = FrameRing(capacity: 4)
    }

    public var dataCount: Int { data.count }
    public var priorityCount: Int { priority.count }
    public var isEmpty: Bool { data.isEmpty && priority.isEmpty }
    /// True when a backpressure edge should stop its producer.
    public var isFull: Bool { data.count >= policy.capacity }

    /// Adds a frame according to its lane and the overflow policy.
    /// Returns the number of frames dropped to make room (0 or 1).
    @discardableResult
    public func push(_ frame: Frame, at now: Nanos) -> Int {
        if frame.overtakesData {
            if case .control(.interruption) = frame {
                let purged = data.removeAll { $0.frame.isCancelledByInterruption }
                stats.purged &+= UInt64(purged)
            }
            priority.push(QueuedFrame(frame: frame, enqueuedAt: now))
            stats.priorityEnqueued &+= 1
            return 0
        }
        var dropped = 0
        if data.count >= policy.capacity {
            if policy.overflow == .dropOldestAudio && frame.isDroppable {
                if let victim = firstDroppableIndex() {
                    _ = data.remove(at: victim)
                    dropped = 1
                    stats.dropped &+= 1
                } else {
                    stats.overCapacity &+= 1
                }
            } else {
                stats.overCapacity &+= 1
            }
        }
        data.push(QueuedFrame(frame: frame, enqueuedAt: now))
        stats.enqueued &+= 1
        if data.count > stats.highWater { stats.highWater = data.count }
        return dropped
    }

    /// The next frame to deliver: priority lane first.
    public func pop() -> QueuedFrame? {
        if let p = priority.pop() { return p }
        return data.pop()
    }

    public func popPriority() -> QueuedFrame? { priority.pop() }
    public func popData() -> QueuedFrame? { data.pop() }

    /// Enqueue time of the oldest data frame (for fan-in ordering); nil if the data lane is empty.
    public var oldestDataEnqueuedAt: Nanos? { data.isEmpty ? nil : data.peek().enqueuedAt }

    /// Drops all queued data (used when the pipeline is cancelled).
    public func removeAllData() -> Int {
        data.removeAll { _ in true }
    }

    private func firstDroppableIndex() -> Int? {
        for i in 0..<data.count where data.peek(i).frame.isDroppable { return i }
        return nil
    }
}
