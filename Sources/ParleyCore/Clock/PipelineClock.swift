// SPDX-License-Identifier: Apache-2.0

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The time source of a pipeline. Every timestamp the engine takes (queue waits, processing
/// times, timers, turn latencies) comes from here, so a test can swap in `VirtualClock` and
/// get exact, repeatable timings with no sleeping.
public protocol PipelineClock: Sendable {
    /// Monotonic nanoseconds; only differences are meaningful.
    func now() -> Nanos
    /// True for clocks that only move when told to (tests, simulations): the runner then never
    /// waits for wall time.
    var isVirtual: Bool { get }
}

/// The monotonic system clock (`CLOCK_MONOTONIC`; a vDSO call, no syscall, no allocation).
public struct SystemClock: PipelineClock {
    public init() {}

    @inlinable
    public func now() -> Nanos {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Nanos(ts.tv_sec) * 1_000_000_000 + Nanos(ts.tv_nsec)
    }

    public var isVirtual: Bool { false }
}

/// A clock that stands still until advanced. Shared by reference; thread-safe.
public final class VirtualClock: PipelineClock {
    private let current: Atomic<Int64>

    public init(start: Nanos = 0) { current = Atomic(start) }

    public func now() -> Nanos { current.load(ordering: .acquiring) }
    public var isVirtual: Bool { true }

    /// Moves time forward (never backward).
    public func advance(by delta: Nanos) {
        precondition(delta >= 0, "VirtualClock cannot go backwards")
        current.add(delta, ordering: .releasing)
    }

    public func set(_ time: Nanos) {
        precondition(time >= now(), "VirtualClock cannot go backwards")
        current.store(time, ordering: .releasing)
    }
}

/// Readable constructors for nanosecond durations.
public extension Nanos {
    static func ms(_ value: Int) -> Nanos { Nanos(value) * 1_000_000 }
    static func ms(_ value: Double) -> Nanos { Nanos(value * 1_000_000) }
    static func us(_ value: Int) -> Nanos { Nanos(value) * 1_000 }
    static func seconds(_ value: Double) -> Nanos { Nanos(value * 1_000_000_000) }
    var milliseconds: Double { Double(self) / 1_000_000 }
    var microseconds: Double { Double(self) / 1_000 }
}
