// SPDX-License-Identifier: Apache-2.0

import Foundation
import Hummingbird

enum JSONResponse {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        let data = try encoder.encode(value)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func iso8601(ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}

/// The agent_config a response may show: everything except the instructions (`prompt`), which
/// are the operator's, and never a secret (agent_config holds none; values are model descriptors).
func configSummary(_ config: [String: JSONValue]) -> [String: JSONValue] {
    config.filter { $0.key != "prompt" }
}
