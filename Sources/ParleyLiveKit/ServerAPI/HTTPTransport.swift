// SPDX-License-Identifier: Apache-2.0

import Foundation

/// One HTTP exchange, kept minimal so the Twirp client, tests and (later) provider plugins share a
/// single client abstraction and can swap the implementation (URLSession today; a fake or a
/// counting wrapper in tests).
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns whatever status the server answered with. Throws
    /// `HTTPTransportError` when no response arrived (other errors are treated as non-retryable).
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

public struct HTTPRequest: Sendable {
    public var url: URL
    public var method: String
    /// Header values may carry credentials (`Authorization`): never log them.
    public var headers: [String: String]
    public var body: Data
    public var timeout: Duration

    public init(url: URL, method: String = "POST", headers: [String: String] = [:], body: Data = Data(),
                timeout: Duration = .seconds(10)) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names as the server sent them; use `header(_:)` for a case-insensitive lookup.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Why no HTTP response arrived. `isRetryable` is true only when the request cannot have reached
/// the server (refused / unresolvable / unreachable), which makes any call safe to repeat; a timeout
/// or a dropped connection may have been processed, so it is not retried (SendData is not idempotent).
public struct HTTPTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case connectionFailed
        case timedOut
        case other
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var isRetryable: Bool { kind == .connectionFailed }
    public var description: String { "\(kind.rawValue): \(message)" }
}
