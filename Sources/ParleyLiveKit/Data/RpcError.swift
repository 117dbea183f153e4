// SPDX-License-Identifier: Apache-2.0

/// An RPC failure (livekit-protocol.md §9 "RPC v1"): the codes every LiveKit SDK shares.
/// A handler throws one to answer with that code; any other error becomes 1500.
public struct RpcError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: UInt32
    public var message: String
    public var data: String

    public init(code: UInt32, message: String, data: String = "") {
        self.code = code
        self.message = message
        self.data = data
    }

    public static let applicationError: UInt32 = 1500
    public static let connectionTimeout: UInt32 = 1501
    public static let responseTimeout: UInt32 = 1502
    public static let recipientDisconnected: UInt32 = 1503
    public static let responseTooLarge: UInt32 = 1504
    public static let sendFailed: UInt32 = 1505
    public static let unsupportedMethod: UInt32 = 1400
    public static let recipientNotFound: UInt32 = 1401
    public static let requestTooLarge: UInt32 = 1402
    public static let unsupportedServer: UInt32 = 1403
    public static let unsupportedVersion: UInt32 = 1404

    /// Request and response payloads are limited to 15 KiB of UTF-8.
    public static let maxPayloadBytes = 15_360

    public var description: String { "RPC error \(code): \(message)" + (data.isEmpty ? "" : " (\(data))") }
}

/// One incoming RPC call, as a registered handler sees it.
public struct RpcInvocation: Sendable {
    public var requestID: String
    public var callerIdentity: String
    public var method: String
    public var payload: String
    public var responseTimeout: Duration
}

/// An outgoing call waiting for its ack and response.
struct PendingRpc {
    var continuation: CheckedContinuation<String, any Error>
    var acknowledged = false
}
