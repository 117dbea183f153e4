// SPDX-License-Identifier: Apache-2.0

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Wakes a pipeline loop thread that is waiting for work or for its next timer.
///
/// A pthread mutex + condition variable with a "notified" flag so a notify that arrives
/// before the wait is not lost. `@unchecked Sendable` is safe because every access to
/// `notified` happens with `mutex` held, and the pthread objects are designed to be shared
/// between threads (they are heap-allocated once and never moved).
final class LoopSignal: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let cond: UnsafeMutablePointer<pthread_cond_t>
    private var notified = false

    init() {
        mutex = .allocate(capacity: 1)
        cond = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        #if !canImport(Darwin)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    func notify() {
        pthread_mutex_lock(mutex)
        notified = true
        pthread_cond_signal(cond)
        pthread_mutex_unlock(mutex)
    }

    /// Waits until notified or until the monotonic clock reaches `deadline` (nil: no deadline).
    func wait(untilMonotonic deadline: Nanos?) {
        pthread_mutex_lock(mutex)
        while !notified {
            if let deadline {
                var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
                #if canImport(Darwin)
                // Darwin has no monotonic condattr; fall back to a relative wait.
                let now = SystemClock().now()
                let rel = max(0, deadline - now)
                ts = timespec(tv_sec: Int(rel / 1_000_000_000), tv_nsec: Int(rel % 1_000_000_000))
                let rc = pthread_cond_timedwait_relative_np(cond, mutex, &ts)
                #else
                let rc = pthread_cond_timedwait(cond, mutex, &ts)
                #endif
                if rc == ETIMEDOUT { break }
            } else {
                pthread_cond_wait(cond, mutex)
            }
        }
        notified = false
        pthread_mutex_unlock(mutex)
    }
}
