// SPDX-License-Identifier: Apache-2.0

import Dispatch
import Foundation
import Synchronization

/// The thread that runs the async code of the cloud TTS clients (connect, send, receive, decode,
/// their actors' jobs), instead of Swift's shared cooperative pool.
///
/// Why its own thread: the pool has one thread per core (two on the CI machine), and whatever
/// else the process runs there — a test spinning an `EmbeddedPipeline` loop, a busy server —
/// can occupy all of them; an agent's speech must not wait for that. A task started with
/// `Task(executorPreference: ProviderTaskExecutor.shared)` runs its nonisolated async code here,
/// and so do the jobs of the default actors it calls (SE-0417). The work is small (a JSON
/// message, a base64 chunk cut into frames, a `send` that only queues) and never blocks, so one
/// thread serves every client of the process.
///
/// ```
///   any thread:  continuation.resume() / Task(executorPreference:) ─► enqueue(job) ─► jobs (Mutex) ─► semaphore
///   io thread:   wait ─► swap the batch out ─► job.runSynchronously(on: self) …
/// ```
///
/// (`Plugins/StreamingSTT` keeps the same kind of thread for the STT connections.)
public final class ProviderTaskExecutor: TaskExecutor {
    public static let shared = ProviderTaskExecutor(name: "parley.tts.io")

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

    public func enqueue(_ job: consuming ExecutorJob) {
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
