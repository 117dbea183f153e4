// SPDX-License-Identifier: Apache-2.0

/// A FIFO async mutex: one holder at a time across suspension points (an actor alone would
/// interleave at every `await`, which would interleave two transactions on one connection).
actor AsyncSerialLock {
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }

    private func acquire() async {
        if !locked {
            locked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            locked = false
        } else {
            waiters.removeFirst().resume()   // ownership passes straight to the next waiter
        }
    }
}
