// SPDX-License-Identifier: Apache-2.0

/// The seed backends' identifier rule: 1…N characters of `[A-Za-z0-9_-]`.
enum Identifier {
    static func isValid(_ text: String, maxLength: Int = 128) -> Bool {
        guard !text.isEmpty, text.utf8.count <= maxLength else { return false }
        return text.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
        }
    }
}
