// SPDX-License-Identifier: Apache-2.0

/// The association as the application sees it (RFC 4960 §4, collapsed the way
/// RTCSctpTransportState does).
public enum SCTPAssociationState: String, Sendable, Hashable {
    /// Created; `start()` not called yet (inbound packets are held until it is).
    case new
    /// INIT sent (COOKIE-WAIT / COOKIE-ECHOED, RFC 4960 §5.1), or an INIT collision in progress.
    case connecting
    /// ESTABLISHED: SCTP_COMM_UP was reported.
    case connected
    /// SHUTDOWN sent or received, or `close()` called.
    case closed
    /// The association could not be set up, or was lost (ABORT, too many retransmissions).
    case failed
}
