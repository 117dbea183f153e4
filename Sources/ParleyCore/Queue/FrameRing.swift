// SPDX-License-Identifier: Apache-2.0

/// One queued frame with the time it was enqueued (for the queue-wait probe).
public struct QueuedFrame: Sendable {
    public var frame: Frame
    public var enqueuedAt: Nanos
}

/// A growable FIFO ring of `QueuedFrame`s over manually managed storage.
///
/// Push and pop move values in and out of preallocated slots, so steady-state traffic
/// allocates nothing. The ring grows (doubling) only when a never-dropped frame arrives at a
/// full ring; `remove(at:)` exists for the rare overflow path that drops an old audio frame
/// from behind a control or text frame.
///
/// Not thread-safe; owned by one pipeline loop.
final class FrameRing {
    private var slots: UnsafeMutablePointer<QueuedFrame>
    private(set) var capacity: Int
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        slots = .allocate(capacity: capacity)
    }

    deinit {
        for i in 0..<count { (slots + ((head + i) % capacity)).deinitialize(count: 1) }
        slots.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    func push(_ item: QueuedFrame) {
        if count == capacity { grow() }
        (slots + ((head + count) % capacity)).initialize(to: item)
        count += 1
    }

    /// Inserts at the front (used to put a priority frame ahead of everything).
    func pushFront(_ item: QueuedFrame) {
        if count == capacity { grow() }
        head = (head - 1 + capacity) % capacity
        (slots + head).initialize(to: item)
        count += 1
    }

    func pop() -> QueuedFrame? {
        guard count > 0 else { return nil }
        let item = (slots + head).move()
        head = (head + 1) % capacity
        count -= 1
        return item
    }

    func peek(_ offset: Int = 0) -> QueuedFrame {
        precondition(offset < count)
        return slots[(head + offset) % capacity]
    }

    /// Removes the element `offset` places from the front, keeping order.
    func remove(at offset: Int) -> QueuedFrame {
        precondition(offset < count)
        let removed = (slots + ((head + offset) % capacity)).move()
        // Shift the elements after it one place toward the front.
        var i = offset
        while i < count - 1 {
            let from = (head + i + 1) % capacity
            let to = (head + i) % capacity
            (slots + to).initialize(to: (slots + from).move())
            i += 1
        }
        count -= 1
        return removed
    }

    /// Removes every element for which `shouldRemove` is true, keeping the order of the rest.
    /// Returns how many were removed.
    func removeAll(where shouldRemove: (borrowing QueuedFrame) -> Bool) -> Int {
        var kept = 0
        var removed = 0
        let n = count
        for i in 0..<n {
            let src = slots + ((head + i) % capacity)
            if shouldRemove(src.pointee) {
                src.deinitialize(count: 1)
                removed += 1
            } else {
                if kept != i { (slots + ((head + kept) % capacity)).initialize(to: src.move()) }
                kept += 1
            }
        }
        count = kept
        return removed
    }

    private func grow() {
        let newCapacity = capacity * 2
        let fresh = UnsafeMutablePointer<QueuedFrame>.allocate(capacity: newCapacity)
        for i in 0..<count { (fresh + i).initialize(to: (slots + ((head + i) % capacity)).move()) }
        slots.deallocate()
        slots = fresh
        capacity = newCapacity
        head = 0
    }
}
