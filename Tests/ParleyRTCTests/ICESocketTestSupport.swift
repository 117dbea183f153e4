// SPDX-License-Identifier: Apache-2.0

import Foundation
import Synchronization
@testable import ParleyRTC

/// Collects what a `UDPICESocket` reports on its queue, for tests that poll from their thread.
final class ICESocketRecorder: Sendable {
    private let state = Mutex<(events: [ICEEvent], packets: [[UInt8]])>(([], []))

    var events: [ICEEvent] { state.withLock { $0.events } }
    var packets: [[UInt8]] { state.withLock { $0.packets } }
    var localCandidates: [ICECandidate] {
        events.compactMap { if case .localCandidate(let c) = $0 { return c }; return nil }
    }

    var onEvent: UDPICESocket.EventHandler { { event in self.state.withLock { $0.events.append(event) } } }
    var onPacket: UDPICESocket.PacketHandler { { bytes, _, _ in self.state.withLock { $0.packets.append(bytes) } } }

    /// Polls `condition` every 10 ms for up to `timeout`; returns whether it became true.
    static func wait(timeout: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition()
    }
}

/// A driver bound to 127.0.0.1 only (loopback host candidates, as LiveKit test rigs use).
func loopbackSocket(_ role: ICERole, _ recorder: ICESocketRecorder) throws -> UDPICESocket {
    var configuration = ICEAgentConfiguration(role: role)
    configuration.includeLoopback = true
    return try UDPICESocket(
        configuration: configuration, addresses: [IPAddress("127.0.0.1")!],
        onEvent: recorder.onEvent, onPacket: recorder.onPacket)
}
