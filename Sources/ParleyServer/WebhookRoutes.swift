// SPDX-License-Identifier: Apache-2.0

import Foundation
import Hummingbird
import ParleyLiveKit
import ParleyRTC

/// Checks a LiveKit webhook delivery the way LiveKit's receivers do (server-sdk-go `webhook.Receive`,
/// livekit-api `WebhookReceiver`): the `Authorization` header is an access token (HS256, `iss` = the
/// API key, signed with its secret, unexpired) whose `sha256` claim is the base64 SHA-256 of the raw
/// body. Only then is the body parsed (protojson `WebhookEvent`: camelCase or proto field names,
/// int64 as string or number, enums as names or numbers).
public struct WebhookVerifier: Sendable {
    public let tokens: TokenVerifier

    public init(apiKey: String, apiSecret: String) {
        tokens = TokenVerifier(apiKey: apiKey, apiSecret: apiSecret)
    }

    /// Verifies the signature and body hash, then parses. 401 for anything about the token or hash,
    /// 400 for a body that is not a webhook event. Messages never include the token.
    public func verify(authorization: String?, body: [UInt8],
                       now: Int64 = Int64(Date().timeIntervalSince1970)) throws(APIError) -> WebhookEventRecord {
        guard var token = authorization?.trimmingCharacters(in: .whitespaces), !token.isEmpty else {
            throw APIError(.unauthorized, "invalid_webhook_signature", "missing Authorization header (a LiveKit-signed token)")
        }
        if token.lowercased().hasPrefix("bearer ") { token = String(token.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
        let claims: ClaimGrants
        do {
            claims = try tokens.verify(token, now: now)
        } catch {
            throw APIError(.unauthorized, "invalid_webhook_signature", "webhook token rejected: \(Self.reason(error))")
        }
        guard let claimed = claims.sha256, !claimed.isEmpty else {
            throw APIError(.unauthorized, "invalid_webhook_signature", "webhook token has no sha256 claim")
        }
        guard let claimedHash = Data(base64Encoded: claimed), claimedHash.count == 32 else {
            throw APIError(.unauthorized, "invalid_webhook_signature", "webhook token's sha256 claim is not a base64 SHA-256")
        }
        guard Digest.constantTimeEqual(Digest.sha256(body), Array(claimedHash)) else {
            throw APIError(.unauthorized, "invalid_webhook_signature", "body hash does not match the token's sha256 claim")
        }
        return try Self.parse(body)
    }

    /// Why a token failed, without the token.
    static func reason(_ error: TokenError) -> String {
        switch error {
        case .badSignature: "bad signature"
        case .expired: "expired"
        case .notYetValid: "not valid yet"
        case .missingExpiry: "no exp claim"
        case .unknownAPIKey: "unknown API key (iss)"
        case .unsupportedAlgorithm(let alg): "algorithm \(alg) is not accepted"
        default: "malformed token"
        }
    }

    /// ParticipantInfo.Kind numbers → names (livekit_models.proto).
    static let kindNames = [0: "STANDARD", 1: "INGRESS", 2: "EGRESS", 3: "SIP", 4: "AGENT", 7: "CONNECTOR", 8: "BRIDGE"]
    static let agentIdentityPrefix = "agent-"

    /// Parses a `WebhookEvent` body. 400 when it is not a JSON object or has no `event`.
    static func parse(_ body: [UInt8]) throws(APIError) -> WebhookEventRecord {
        guard !body.isEmpty else { throw APIError.malformedJSON("webhook body is empty") }
        guard let root = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw APIError.malformedJSON("webhook body is not a JSON object")
        }
        func field(_ o: [String: Any], _ camel: String, _ snake: String) -> Any? {
            if let v = o[camel], !(v is NSNull) { return v }
            if let v = o[snake], !(v is NSNull) { return v }
            return nil
        }
        func string(_ o: [String: Any], _ camel: String, _ snake: String? = nil) throws(APIError) -> String? {
            guard let v = field(o, camel, snake ?? camel) else { return nil }
            guard let s = v as? String else {
                throw APIError(.badRequest, "malformed_webhook", "webhook field \(camel) must be a string")
            }
            return s
        }
        func int64(_ o: [String: Any], _ camel: String, _ snake: String) throws(APIError) -> Int64 {
            guard let v = field(o, camel, snake) else { return 0 }
            if let s = v as? String, let n = Int64(s) { return n }
            if let n = v as? NSNumber, !(v is Bool), let exact = Int64(exactly: n.doubleValue) { return exact }
            throw APIError(.badRequest, "malformed_webhook", "webhook field \(camel) must be an int64")
        }
        func object(_ o: [String: Any], _ camel: String, _ snake: String? = nil) throws(APIError) -> [String: Any]? {
            guard let v = field(o, camel, snake ?? camel) else { return nil }
            guard let d = v as? [String: Any] else {
                throw APIError(.badRequest, "malformed_webhook", "webhook field \(camel) must be an object")
            }
            return d
        }

        guard let event = try string(root, "event"), !event.isEmpty else {
            throw APIError(.badRequest, "malformed_webhook", "webhook body has no event")
        }
        let id = try string(root, "id").flatMap { $0.isEmpty ? nil : $0 }
        if let id, id.utf8.count > 256 { throw APIError(.badRequest, "malformed_webhook", "webhook id is too long") }
        let createdAtS = try int64(root, "createdAt", "created_at")
        let room = try object(root, "room")
        var roomName: String?
        var roomSID: String?
        if let room, let name = try string(room, "name"), !name.isEmpty { roomName = name }
        if let room, let sid = try string(room, "sid"), !sid.isEmpty { roomSID = sid }

        var action = WebhookEventRecord.Action.none
        switch event {
        case "room_finished":
            action = .endSession
        case "participant_joined", "participant_left", "participant_connection_aborted":
            guard let p = try object(root, "participant"), let identity = try string(p, "identity"), !identity.isEmpty else {
                throw APIError(.badRequest, "malformed_webhook", "\(event) has no participant.identity")
            }
            var kind = "STANDARD"
            if let k = field(p, "kind", "kind") {
                if let name = k as? String { kind = name } else if let n = k as? Int { kind = kindNames[n] ?? "#\(n)" }
            }
            let isAgent = kind == "AGENT" || identity.hasPrefix(agentIdentityPrefix)
            action = event == "participant_joined" ? .joined(identity: identity, kind: kind, isAgent: isAgent)
                : .left(identity: identity, kind: kind, isAgent: isAgent)
        default:
            action = .none
        }
        return WebhookEventRecord(id: id, event: event, roomName: roomName, roomSID: roomSID, createdAtMs: createdAtS * 1000,
                                  action: action)
    }
}

/// `POST /v1/livekit/webhook`: LiveKit's webhook deliveries (no bearer auth; the body is signed).
/// Answers 200 `{"status": "applied" | "recorded" | "duplicate" | "no_session"}`; 401 for a bad
/// token or body hash, 400 for a malformed event, 413 past the size limit.
struct WebhookRoutes {
    let service: SessionService
    let verifier: WebhookVerifier

    static let path: RouterPath = "v1/livekit/webhook"
    /// Room events carry the room and participant lists; allow more than the API's body limit.
    var limit: Int { max(service.config.maxBodyBytes, 1 << 20) }

    struct Answer: Encodable {
        var status: String
        var session_id: String?
    }

    func register(on router: Router<ServerRequestContext>) {
        router.post(Self.path) { request, context in try await receive(request, context) }
    }

    func receive(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        if let type = request.headers[.contentType]?.lowercased(),
           !(type.hasPrefix("application/webhook+json") || type.hasPrefix("application/json")) {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "webhooks are application/webhook+json (or application/json)")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw APIError.tooLarge(limit: limit) }
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: limit) } catch {
            if let e = error as? any HTTPResponseError, e.status == .contentTooLarge { throw APIError.tooLarge(limit: limit) }
            throw APIError.malformedJSON("could not read the request body")
        }
        let event = try verifier.verify(authorization: request.headers[.authorization], body: Array(buffer: buffer))
        let outcome = try await service.handleWebhook(event)
        var answer = Answer(status: outcome.label)
        switch outcome {
        case .applied(let id, _): answer.session_id = id
        case .recorded(let id): answer.session_id = id
        default: break
        }
        return try JSONResponse.make(answer)
    }
}
