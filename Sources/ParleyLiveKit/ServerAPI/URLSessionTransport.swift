// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `HTTPTransport` over Foundation's URLSession (libcurl on Linux). Ephemeral: no cookies, no
/// cache, no credential storage, since every server-API call carries its own short-lived token.
public struct URLSessionTransport: HTTPTransport {
    let session: URLSession

    public init(session: URLSession? = nil) {
        if let session {
            self.session = session
        } else {
            let config = URLSessionConfiguration.ephemeral
            self.session = URLSession(configuration: config)
        }
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.httpBody = request.body
        let c = request.timeout.components
        urlRequest.timeoutInterval = Double(c.seconds) + Double(c.attoseconds) / 1e18
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await session.data(for: urlRequest)
        } catch let error as URLError {
            throw Self.classify(error, url: request.url)
        } catch {
            throw HTTPTransportError(.other, "\(request.url.host ?? "?"): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else {
            throw HTTPTransportError(.other, "not an HTTP response from \(request.url.host ?? "?")")
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name] = value }
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: data)
    }

    /// URL errors that mean "the request never reached a server" are retryable; the rest are not.
    static func classify(_ error: URLError, url: URL) -> HTTPTransportError {
        let target = "\(url.host ?? "?")\(url.port.map { ":\($0)" } ?? "")"
        switch error.code {
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet:
            return HTTPTransportError(.connectionFailed, "cannot connect to \(target) (URLError \(error.code.rawValue))")
        case .timedOut:
            return HTTPTransportError(.timedOut, "no answer from \(target) in time")
        default:
            return HTTPTransportError(.other, "\(target): URLError \(error.code.rawValue)")
        }
    }
}
