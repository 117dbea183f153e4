// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// The minimum of the values seen during the last `window` of time: the "fastest recent
/// packet" that NetEQ measures relative arrival delays from (its 2 s packet history).
///
/// A monotonic queue in a fixed ring: each `add` drops the entries it dominates from the back
/// and the expired ones from the front, so the front is always the minimum; O(1) amortized, no
/// allocation after init. When the ring is full the oldest entry is dropped early (the window
/// then covers fewer packets than asked, never more).
struct SlidingMinimum {
    let window: Nanos
    private var times: [Nanos]
    private var values: [Nanos]
    private var head = 0
    private(set) var count = 0

    init(window: Nanos, capacity: Int = 512) {
        self.window = window
        times = Array(repeating: 0, count: max(capacity, 2))
        values = Array(repeating: 0, count: max(capacity, 2))
    }

    private var capacity: Int { times.count }

    /// The minimum over the window ending at the last `add`/`expire`; nil when empty.
    var minimum: Nanos? { count > 0 ? values[head] : nil }

    mutating func add(_ value: Nanos, at time: Nanos) {
        // Pop dominated entries from the back.
        while count > 0 {
            let back = (head + count - 1) % capacity
            if values[back] >= value { count -= 1 } else { break }
        }
        if count == capacity { head = (head + 1) % capacity; count -= 1 }
        let slot = (head + count) % capacity
        times[slot] = time
        values[slot] = value
        count += 1
        expire(now: time)
    }

    /// Drops entries older than the window (the newest entry is always kept).
    mutating func expire(now: Nanos) {
        while count > 1 && now - times[head] > window {
            head = (head + 1) % capacity
            count -= 1
        }
    }

    mutating func reset() { head = 0; count = 0 }
}
