// SPDX-License-Identifier: Apache-2.0

import Foundation

/// 64-bit NTP timestamps (RFC 5905 §6: seconds since 1900 in the high 32 bits) for RTCP sender reports.
enum NTPTime {
    /// Seconds from 1900-01-01 to 1970-01-01.
    static let unixOffset: Double = 2_208_988_800

    static func now() -> UInt64 {
        let seconds = Date().timeIntervalSince1970 + unixOffset
        let whole = seconds.rounded(.down)
        return UInt64(whole) << 32 | UInt64((seconds - whole) * 4_294_967_296.0)
    }

    /// The middle 32 bits (16.16 fixed point seconds), as LSR/DLSR use (RFC 3550 §6.4.1).
    static func compact(_ ntp: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: ntp >> 16) }
}
