// SPDX-License-Identifier: Apache-2.0

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The machine's interface addresses for host candidates (RFC 8445 §5.1.1.1), via getifaddrs.
///
/// Skipped: interfaces that are down, IPv6 link-local (fe80::/10: needs a scope id that SDP
/// cannot carry) and, unless asked, loopback (LiveKit neither gathers nor binds loopback
/// by default; tests on 127.0.0.1 ask for it, livekit-protocol.md §5).
public enum ICEInterfaces {
    public static func hostAddresses(includeLoopback: Bool = false, ipv4: Bool = true, ipv6: Bool = true) -> [IPAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var result: [IPAddress] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            let flags = Int32(entry.pointee.ifa_flags)
            guard flags & Int32(IFF_UP) != 0, let sockaddr = entry.pointee.ifa_addr,
                  let address = ICESocketAddress.decode(sockaddr)?.address else { continue }
            if address.isLoopback && !includeLoopback { continue }
            switch address {
            case .v4: if !ipv4 { continue }
            case .v6(let high, _):
                if !ipv6 || high >> 54 == 0x3FA { continue }  // fe80::/10
            }
            if !result.contains(address) { result.append(address) }
        }
        return result
    }
}
