// SPDX-License-Identifier: Apache-2.0

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Conversions between `TransportAddress` and the BSD socket address structures, for the
/// socket driver and interface enumeration (the agent itself never sees a sockaddr).
enum ICESocketAddress {
    /// Calls `body` with a `sockaddr` for `address` and its length.
    static func withSockaddr<R>(_ address: TransportAddress, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch address.address {
        case .v4(let value):
            var storage = sockaddr_in()
            storage.sin_family = sa_family_t(AF_INET)
            storage.sin_port = address.port.bigEndian
            storage.sin_addr.s_addr = value.bigEndian
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6:
            var storage = sockaddr_in6()
            storage.sin6_family = sa_family_t(AF_INET6)
            storage.sin6_port = address.port.bigEndian
            let bytes = address.address.bytes
            withUnsafeMutableBytes(of: &storage.sin6_addr) { raw in
                for i in 0..<16 { raw[i] = bytes[i] }
            }
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    /// The transport address in a `sockaddr_in` / `sockaddr_in6`; nil for other families.
    static func decode(_ pointer: UnsafePointer<sockaddr>) -> TransportAddress? {
        switch Int32(pointer.pointee.sa_family) {
        case AF_INET:
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                TransportAddress(address: .v4(UInt32(bigEndian: $0.pointee.sin_addr.s_addr)), port: UInt16(bigEndian: $0.pointee.sin_port))
            }
        case AF_INET6:
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                let bytes = withUnsafeBytes(of: sin6.pointee.sin6_addr) { Array($0) }
                return IPAddress(bytes: bytes).map { TransportAddress(address: $0, port: UInt16(bigEndian: sin6.pointee.sin6_port)) }
            }
        default:
            return nil
        }
    }
}
