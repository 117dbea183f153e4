// SPDX-License-Identifier: Apache-2.0

/// An agent's short-term credentials: `a=ice-ufrag` and `a=ice-pwd` (RFC 8839 §5.4).
///
/// The ufrag is the local half of every check's USERNAME (`remote:local`, RFC 8445 §7.2.2);
/// the password keys MESSAGE-INTEGRITY (RFC 8489 §9.1). RFC 8839 §5.4 asks for at least 4
/// characters / 24 bits of randomness in the ufrag and 22 characters / 128 bits in the
/// password, both drawn from `ice-char` (ALPHA / DIGIT / "+" / "/").
public struct ICECredentials: Sendable, Hashable, CustomStringConvertible {
    public var usernameFragment: String
    public var password: String

    public init(usernameFragment: String, password: String) {
        self.usernameFragment = usernameFragment
        self.password = password
    }

    /// The `ice-char` alphabet (RFC 8839 §5.4): 64 symbols, so each carries 6 random bits.
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Fresh credentials from the system CSPRNG: a 16-character ufrag (96 bits) and a
    /// 32-character password (192 bits), above the RFC 8839 minimums (4 and 22).
    public static func random() -> ICECredentials {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    public static func random(using generator: inout some RandomNumberGenerator) -> ICECredentials {
        ICECredentials(
            usernameFragment: randomICEChars(16, using: &generator),
            password: randomICEChars(32, using: &generator))
    }

    static func randomICEChars(_ count: Int, using generator: inout some RandomNumberGenerator) -> String {
        String(decoding: (0..<count).map { _ in alphabet[Int(generator.next() & 63)] }, as: UTF8.self)
    }

    /// Whether both values satisfy RFC 8839 §5.4 (lengths 4–256 and 22–256, ice-chars only).
    public var isValid: Bool {
        func iceChars(_ text: String) -> Bool { text.utf8.allSatisfy { ICECredentials.alphabet.contains($0) } }
        return (4...256).contains(usernameFragment.utf8.count) && (22...256).contains(password.utf8.count)
            && iceChars(usernameFragment) && iceChars(password)
    }

    /// The password stays out of logs.
    public var description: String { "ufrag \(usernameFragment)" }
}
