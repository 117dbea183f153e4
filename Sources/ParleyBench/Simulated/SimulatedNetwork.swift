// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import Synchronization

/// Where the simulated providers' "network" lives: one thread that runs each callback at its
/// deadline, the way a real provider's socket thread would deliver bytes. The stages hand it
/// work from the loop thread and it posts results into their mailboxes, so a simulated reply
/// crosses the same thread boundary (mailbox → loop) as a real one. Nothing here runs on a
/// pipeline's loop thread.
///
/// ```
///   loop thread:  stage.process ─► network.after(ms) { … }  ─┐
///   network:      heap of deadlines ─► wait (semaphore, timeout) ─► run due callbacks ─► mailbox.post
/// ```
///
/// One instance serves every session of a run.
public final class SimulatedNetwork: Sendable {
    public static let shared = SimulatedNetwork()

    private struct Job {
        var due: Nanos
        var order: UInt64
        var work: @Sendable () -> Void
    }

    private struct State {
        var heap: [Job] = []
        var order: UInt64 = 0
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let clock = SystemClock()

    private init() {
        let thread = Thread { [unowned self] in serve() }
        thread.name = "parley.bench.network"
        thread.qualityOfService = .userInteractive
        thread.start()
    }

    /// Runs `work` on the network thread `delay` from now (0: as soon as possible, in order).
    public func after(_ delay: Nanos, _ work: @escaping @Sendable () -> Void) {
        at(clock.now() + max(0, delay), work)
    }

    /// Runs `work` on the network thread at `due` (SystemClock time).
    public func at(_ due: Nanos, _ work: @escaping @Sendable () -> Void) {
        let becameFirst = state.withLock { s -> Bool in
            s.order &+= 1
            Self.push(Job(due: due, order: s.order, work: work), into: &s.heap)
            return s.heap[0].order == s.order
        }
        if becameFirst { wake.signal() }
    }

    private func serve() {
        var due: [Job] = []
        due.reserveCapacity(64)
        while true {
            let next: Nanos? = state.withLock { s in
                let now = clock.now()
                while let first = s.heap.first, first.due <= now { due.append(Self.pop(&s.heap)) }
                return s.heap.first?.due
            }
            for job in due { job.work() }
            due.removeAll(keepingCapacity: true)
            if let next {
                let wait = next - clock.now()
                if wait > 0 { _ = wake.wait(timeout: .now() + .nanoseconds(Int(wait))) }
            } else {
                wake.wait()
            }
        }
    }

    // A binary min-heap on (due, order): equal deadlines run in the order they were given.
    private static func less(_ a: Job, _ b: Job) -> Bool { a.due != b.due ? a.due < b.due : a.order < b.order }

    private static func push(_ job: Job, into heap: inout [Job]) {
        heap.append(job)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private static func pop(_ heap: inout [Job]) -> Job {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && less(heap[l], heap[m]) { m = l }
                if r < heap.count && less(heap[r], heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
