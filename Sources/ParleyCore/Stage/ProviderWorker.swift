// SPDX-License-Identifier: Apache-2.0

import Dispatch

/// A serial thread for a stage's provider work (model inference, synthesis, network calls),
/// so the pipeline loop never waits on it.
///
/// ```
///   loop:   stage.control(.userStoppedSpeaking) ── worker.run { engine in … } ──► (returns at once)
///   worker:                                       engine.transcribe(…) ── mailbox.post(result, epoch:) ──► loop
/// ```
///
/// The engine (a model handle, a synthesizer — typically not thread-safe) is created on the
/// worker by `start()` and only ever touched by jobs running there, one at a time.
///
/// `@unchecked Sendable`: `engine` is written once inside `queue.sync` in `start()` and then
/// read only by jobs on the same serial `queue`; no other thread touches it.
public final class ProviderWorker<Engine>: @unchecked Sendable {
    private let queue: DispatchQueue
    private let make: @Sendable () throws -> Engine
    private var engine: Engine?

    public init(label: String, make: @escaping @Sendable () throws -> Engine) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
        self.make = make
    }

    /// Creates the engine on the worker, waiting for it (model loading belongs in the
    /// pipeline's start, not in the first turn). Rethrows the engine's error.
    public func start() throws {
        var failure: (any Error)?
        queue.sync {
            do { engine = try make() } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Queues `job` to run on the worker with the engine. Jobs run in the order queued.
    public func run(_ job: @escaping @Sendable (Engine) -> Void) {
        queue.async { [self] in
            guard let engine else { return }
            job(engine)
        }
    }

    /// Drops the engine after the queued jobs have run.
    public func stop() {
        queue.async { [self] in engine = nil }
    }
}
