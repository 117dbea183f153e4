// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// Receives one streamed HTTP response as it arrives, on the session's delegate queue.
protocol StreamingHTTPReceiver: Sendable {
    /// The request is under way; `task.cancel()` abandons it (and closes the connection).
    func attach(_ task: URLSessionDataTask)
    /// Body bytes, in order; `status` is the response's HTTP status.
    func received(_ data: Data, status: Int)
    /// The exchange is over: `error` when it failed or was cancelled, else the body is complete.
    func completed(error: (any Error)?, status: Int)
}

/// Streaming HTTP for the provider stages of this target: one `URLSession` per stage (so the
/// connection to the provider is kept alive between turns, saving a TCP and TLS handshake per
/// reply), whose delegate hands each task's bytes to its receiver as they arrive.
///
/// URLSession's streaming delegate works on Linux (FoundationNetworking over libcurl):
/// `didReceive data` fires per network read, checked against a server that sends one SSE
/// event every 300 ms. Callbacks run on the session's serial delegate queue, never on the
/// pipeline loop. (ParleyLiveKit's `HTTPTransport` is request/response only, and plugins don't
/// depend on LiveKit; this is the streaming counterpart, ready to move to a shared target.)
final class StreamingHTTPSession: Sendable {
    private let session: URLSession
    private let router = Router()

    init(label: String) {
        let queue = OperationQueue()
        queue.name = label
        // One callback at a time, in order: a response's bytes are handled in arrival order.
        queue.maxConcurrentOperationCount = 1
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration, delegate: router, delegateQueue: queue)
    }

    /// Starts `request`, feeding `receiver`. Returns at once.
    func start(_ request: URLRequest, feeding receiver: any StreamingHTTPReceiver) {
        let task = session.dataTask(with: request)
        router.receivers.withLock { $0[task.taskIdentifier] = receiver }
        receiver.attach(task)
        task.resume()
    }

    /// Lets running requests finish, then releases the session (which holds its delegate).
    func shutDown() { session.finishTasksAndInvalidate() }

    /// Cancels running requests and releases the session.
    func cancelAll() { session.invalidateAndCancel() }

    /// The session delegate: finds the receiver a task belongs to.
    private final class Router: NSObject, URLSessionDataDelegate, Sendable {
        let receivers = Mutex<[Int: any StreamingHTTPReceiver]>([:])

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            guard let receiver = receivers.withLock({ $0[dataTask.taskIdentifier] }) else { return }
            receiver.received(data, status: (dataTask.response as? HTTPURLResponse)?.statusCode ?? 0)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            guard let receiver = receivers.withLock({ $0.removeValue(forKey: task.taskIdentifier) }) else { return }
            receiver.completed(error: error, status: (task.response as? HTTPURLResponse)?.statusCode ?? 0)
        }
    }
}
