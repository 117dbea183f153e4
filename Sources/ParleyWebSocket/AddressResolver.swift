// SPDX-License-Identifier: Apache-2.0

import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Resolves a host name to numeric addresses off the service thread.
///
/// Why: lws 4.1 as Debian builds it has no async DNS, so handing it a host name makes it call
/// `getaddrinfo` on the one service thread that carries every socket in the process; a slow
/// resolver would freeze all live audio. We resolve here (on a Dispatch worker) and give lws
/// numeric addresses only, trying them in order (see `LWSSession`). `AI_ADDRCONFIG` leaves out
/// IPv6 answers on hosts without IPv6, the usual container case.
enum AddressResolver {
    static func resolve(host: String, port: Int, completion: @escaping @Sendable (Result<[String], WebSocketError>) -> Void) {
        if isNumeric(host) {
            completion(.success([host]))
            return
        }
        DispatchQueue.global(qos: .userInitiated).async {
            completion(resolveBlocking(host: host, port: port))
        }
    }

    static func isNumeric(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    static func resolveBlocking(host: String, port: Int) -> Result<[String], WebSocketError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            let text = rc == 0 ? "no addresses" : String(cString: gai_strerror(rc))
            return .failure(.connectFailed("cannot resolve \(host): \(text)"))
        }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let entry = node {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count),
                           nil, 0, NI_NUMERICHOST) == 0 {
                let text = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !addresses.contains(text) { addresses.append(text) }
            }
            node = entry.pointee.ai_next
        }
        return addresses.isEmpty ? .failure(.connectFailed("cannot resolve \(host): no usable addresses")) : .success(addresses)
    }
}
