// SPDX-License-Identifier: Apache-2.0

import Foundation

/// A `multipart/form-data` body (RFC 7578): text fields and one file, as the transcription
/// endpoint takes them.
struct MultipartFormBody {
    let boundary: String
    private(set) var data = Data()

    init(boundary: String = "parley-" + UUID().uuidString) {
        self.boundary = boundary
    }

    /// The request's `Content-Type`.
    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func add(field name: String, _ value: String) {
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n".utf8))
        data.append(Data(value.utf8))
        data.append(Data("\r\n".utf8))
    }

    mutating func add(file name: String, filename: String, contentType: String, _ content: Data) {
        data.append(Data(("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\n"
                          + "Content-Type: \(contentType)\r\n\r\n").utf8))
        data.append(content)
        data.append(Data("\r\n".utf8))
    }

    /// The body with its closing delimiter.
    func finished() -> Data {
        var out = data
        out.append(Data("--\(boundary)--\r\n".utf8))
        return out
    }
}
