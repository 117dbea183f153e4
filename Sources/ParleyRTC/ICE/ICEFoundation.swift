// SPDX-License-Identifier: Apache-2.0

/// Candidate foundations (RFC 8445 §5.1.1.3): two candidates share a foundation exactly when
/// they have the same type, the same base IP address, the same STUN/TURN server IP address
/// (if any) and the same transport. The value is opaque (1–32 ice-chars); we print a 32-bit
/// FNV-1a hash of those four things in decimal, so it is stable across restarts.
public enum ICEFoundation {
    public static func compute(
        type: ICECandidateType, baseAddress: IPAddress, serverAddress: IPAddress?, transport: ICETransportKind
    ) -> String {
        let transportName: String
        switch transport {
        case .udp: transportName = "udp"
        case .tcp(let kind): transportName = "tcp-\(kind.rawValue)"
        }
        let key = "\(type.rawValue)|\(baseAddress)|\(serverAddress.map { "\($0)" } ?? "-")|\(transportName)"
        var hash: UInt32 = 0x811C_9DC5
        for byte in key.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return String(hash)
    }
}
