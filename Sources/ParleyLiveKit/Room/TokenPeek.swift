// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Reads claims of a token we hold but cannot verify (we do not have the secret), so an
/// expired token fails before any connection attempt, with a message saying so.
enum TokenPeek {
    static func expiry(of token: String) -> Date? {
        guard let (_, payload, _, _) = try? JWT.decode(token),
            let object = try? JSONSerialization.jsonObject(with: payload) as? [String: Any],
            let exp = (object["exp"] as? NSNumber)?.doubleValue
        else { return nil }
        return Date(timeIntervalSince1970: exp)
    }
}
