// SPDX-License-Identifier: Apache-2.0

import ParleyRTC

/// The `SCTPLowerTransport` of a `PeerConnection`: SCTP packets go out as DTLS application
/// data (RFC 8261 §5), encrypted on the peer connection's queue, which owns the `DTLSTransport`.
/// usrsctp calls `send` on the SCTP queue; the hop is asynchronous, so the SCTP queue never
/// waits for the peer connection's queue (which does wait for the SCTP queue in `close()` and
/// `createDataChannel`).
final class DTLSDataChannelTransport: SCTPLowerTransport, Sendable {
    private let deliver: @Sendable ([UInt8]) -> Void

    init(deliver: @escaping @Sendable ([UInt8]) -> Void) {
        self.deliver = deliver
    }

    func send(_ bytes: [UInt8]) { deliver(bytes) }
}
