// SPDX-License-Identifier: Apache-2.0

import ParleyWebSocket
import Synchronization

/// Drains a connection's `messages` on its own task so tests can wait for "n messages" or
/// "the stream finished" with a deadline (an AsyncStream iterator cannot be raced directly).
/// It holds only the stream, never the connection, so tests still control the socket's life.
final class MessageCollector: Sendable {
    private struct State {
        var messages: [WebSocketMessage] = []
        var finished = false
    }
    private let state = Mutex(State())

    init(_ connection: WebSocketConnection) {
        let stream = connection.messages
        Task { [self] in
            for await message in stream { state.withLock { $0.messages.append(message) } }
            state.withLock { $0.finished = true }
        }
    }

    var messages: [WebSocketMessage] { state.withLock { $0.messages } }
    var finished: Bool { state.withLock { $0.finished } }

    /// The first `count` messages, or nil if they did not all arrive in time.
    func first(_ count: Int, timeout: Duration = .seconds(10)) async -> [WebSocketMessage]? {
        let ok = await Self.poll(timeout) { self.messages.count >= count }
        return ok ? Array(messages.prefix(count)) : nil
    }

    func waitForFinish(timeout: Duration = .seconds(10)) async -> Bool {
        await Self.poll(timeout) { self.finished }
    }

    static func poll(_ timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}
