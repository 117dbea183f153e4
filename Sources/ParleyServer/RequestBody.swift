// SPDX-License-Identifier: Apache-2.0

import Foundation
import Hummingbird

extension Request {
    /// Reads a JSON object body of at most `limit` bytes: 413 when larger (checked against
    /// Content-Length first, so an oversized upload is refused before it is read), 400 when not JSON
    /// or not an object.
    mutating func jsonObject(limit: Int) async throws(APIError) -> JSONObjectReader {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit { throw APIError.tooLarge(limit: limit) }
        let buffer: ByteBuffer
        do { buffer = try await collectBody(upTo: limit) } catch {
            if let e = error as? any HTTPResponseError, e.status == .contentTooLarge { throw APIError.tooLarge(limit: limit) }
            throw APIError.malformedJSON("could not read the request body")
        }
        return try JSONObjectReader(JSONTree.parse(Data(buffer: buffer)), path: "")
    }
}
