// SPDX-License-Identifier: Apache-2.0

import Dispatch
import Foundation
import Synchronization

/// The thread that runs the async code of every streaming STT connection (connect, send,
/// receive, decode), instead of Swift's shared cooperative pool.
///
/// Why its own thread: the pool has one thread per core (two on the CI machine), and whatever
/// else the process runs there — a test spinning an `EmbeddedPipeline` loop, a busy server —
/// can occupy all of them; transcripts must not wait for that. The work here is small (a JSON
/// message, a `send` that only queues), and nothing on this thread ever blocks, so one thread
/// serves every connection of the process.
///
/// ```
///   any thread:  continuation.resume() / Task(executorPreference:) ─► enqueue(job) ─► jobs (Mutex) ─► semaphore
///   io thread:   wait ─► swap the batch out ─► job.runSynchronously(on: self) …
/// ```
///
/// `enqueue` appends to a preallocated array and signals a semaphore, so the pipeline loop
/// waking a sender (once per audio frame) allocates nothing and never waits.
final class ProviderIOExecutor: TaskExecutor {
    static let shared = ProviderIOExecutor(name: "parley.stt.io")

    private let jobs: Mutex<[UnownedJob]>
    private let wake = DispatchSemaphore(value: 0)

    private init(name: String) {
        var initial: [UnownedJob] = []
        initial.reserveCapacity(256)
        jobs = Mutex(initial)
        let thread = Thread { [unowned self] in serve() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        wake.signal()
    }

    private func serve() {
        var batch: [UnownedJob] = []
        batch.reserveCapacity(256)
        while true {
            wake.wait()
            jobs.withLock { swap(&batch, &$0) }
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
