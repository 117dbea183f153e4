// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyLiveKitProto

/// RPC v1 over data packets (livekit-protocol.md §9): request → ack → response, both ways.
extension Room {
    /// Registers the handler for `method`; calls to unregistered methods are answered 1400.
    /// A handler that throws `RpcError` answers with it; other errors answer 1500.
    public func registerRpcMethod(_ method: String, handler: @escaping @Sendable (RpcInvocation) async throws -> String) {
        rpcHandlers[method] = handler
    }

    public func unregisterRpcMethod(_ method: String) {
        rpcHandlers[method] = nil
    }

    /// Calls `method` on `destination` (an identity). Fails with 1501 if no ack arrives within
    /// 7 s, 1502 if no response within `responseTimeout`, or with the callee's error.
    public func performRpc(
        destination: String, method: String, payload: String, responseTimeout: Duration = .seconds(15)
    ) async throws(RpcError) -> String {
        guard payload.utf8.count <= RpcError.maxPayloadBytes else {
            throw RpcError(code: RpcError.requestTooLarge, message: "request payload exceeds \(RpcError.maxPayloadBytes) bytes")
        }
        let id = UUID().uuidString.lowercased()
        var request = Livekit_RpcRequest()
        request.id = id
        request.method = method
        request.payload = payload
        request.responseTimeoutMs = UInt32(clamping: responseTimeout.components.seconds * 1000)
        request.version = 1
        var packet = Livekit_DataPacket()
        packet.rpcRequest = request
        do {
            return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
                pendingRpcs[id] = PendingRpc(continuation: continuation)
                do {
                    try send(packet, reliable: true, destinations: [destination])
                } catch {
                    finishRpc(id, .failure(RpcError(code: RpcError.sendFailed, message: "\(error)")))
                    return
                }
                Task { [weak self] in
                    try? await Task.sleep(for: .seconds(7))
                    await self?.expireRpc(id, ackOnly: true)
                    try? await Task.sleep(for: max(.zero, responseTimeout - .seconds(7)))
                    await self?.expireRpc(id, ackOnly: false)
                }
            }
        } catch let error as RpcError {
            throw error
        } catch {
            throw RpcError(code: RpcError.applicationError, message: "\(error)")
        }
    }

    func expireRpc(_ id: String, ackOnly: Bool) {
        guard let pending = pendingRpcs[id] else { return }
        if ackOnly {
            guard !pending.acknowledged else { return }
            finishRpc(id, .failure(RpcError(code: RpcError.connectionTimeout, message: "no acknowledgement within 7 s")))
        } else {
            finishRpc(id, .failure(RpcError(code: RpcError.responseTimeout, message: "no response in time")))
        }
    }

    func finishRpc(_ id: String, _ result: Result<String, RpcError>) {
        guard let pending = pendingRpcs.removeValue(forKey: id) else { return }
        switch result {
        case .success(let payload): pending.continuation.resume(returning: payload)
        case .failure(let error): pending.continuation.resume(throwing: error)
        }
    }

    func failAllRpcs(_ error: RpcError) {
        for id in Array(pendingRpcs.keys) { finishRpc(id, .failure(error)) }
    }

    func handleRpcResponse(_ response: Livekit_RpcResponse) {
        switch response.value {
        case .payload(let payload)?:
            finishRpc(response.requestID, .success(payload))
        case .error(let error)?:
            finishRpc(response.requestID, .failure(RpcError(code: error.code, message: error.message, data: error.data)))
        case .compressedPayload?:
            // Only sent to callers that advertise compression; we advertise none.
            finishRpc(response.requestID, .failure(RpcError(code: RpcError.unsupportedVersion, message: "compressed RPC response")))
        case nil:
            finishRpc(response.requestID, .success(""))
        }
    }

    /// An incoming call: ack at once, run the handler beside the actor, answer.
    func handleRpcRequest(_ request: Livekit_RpcRequest, from caller: String) {
        var ack = Livekit_RpcAck()
        ack.requestID = request.id
        var ackPacket = Livekit_DataPacket()
        ackPacket.rpcAck = ack
        try? send(ackPacket, reliable: true, destinations: [caller])
        guard request.version == 1 else {
            respond(to: request.id, caller: caller, .failure(RpcError(code: RpcError.unsupportedVersion, message: "unsupported RPC version \(request.version)")))
            return
        }
        guard let handler = rpcHandlers[request.method] else {
            respond(to: request.id, caller: caller, .failure(RpcError(code: RpcError.unsupportedMethod, message: "method not supported: \(request.method)")))
            return
        }
        let invocation = RpcInvocation(
            requestID: request.id, callerIdentity: caller, method: request.method, payload: request.payload,
            responseTimeout: .milliseconds(Int64(request.responseTimeoutMs == 0 ? 15_000 : request.responseTimeoutMs)))
        Task { [weak self] in
            let result: Result<String, RpcError>
            do {
                let payload = try await handler(invocation)
                result = payload.utf8.count > RpcError.maxPayloadBytes
                    ? .failure(RpcError(code: RpcError.responseTooLarge, message: "response payload exceeds \(RpcError.maxPayloadBytes) bytes"))
                    : .success(payload)
            } catch let error as RpcError {
                result = .failure(error)
            } catch {
                result = .failure(RpcError(code: RpcError.applicationError, message: "\(error)"))
            }
            await self?.respond(to: invocation.requestID, caller: caller, result)
        }
    }

    func respond(to requestID: String, caller: String, _ result: Result<String, RpcError>) {
        var response = Livekit_RpcResponse()
        response.requestID = requestID
        switch result {
        case .success(let payload):
            response.payload = payload
        case .failure(let error):
            var wire = Livekit_RpcError()
            wire.code = error.code
            wire.message = error.message
            wire.data = error.data
            response.error = wire
        }
        var packet = Livekit_DataPacket()
        packet.rpcResponse = response
        try? send(packet, reliable: true, destinations: [caller])
    }
}
