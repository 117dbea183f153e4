// SPDX-License-Identifier: Apache-2.0

/// Builds the key paths shown in errors (`pipeline.vad.min_silence_ms`, `tools[2].url`).
///
/// Keys that are not simple identifiers are written in brackets (`headers["X-Trace.Id"]`)
/// so that a dot inside a key can never be mistaken for nesting.
public enum ConfigKeyPath {
    /// The path of `key` inside the mapping at `parent`.
    public static func child(_ parent: String, key: String) -> String {
        if isSimple(key) {
            return parent.isEmpty ? key : parent + "." + key
        }
        return parent + "[\"" + ConfigRedaction.escape(key) + "\"]"
    }

    /// The path of element `index` inside the sequence at `parent`.
    public static func element(_ parent: String, index: Int) -> String {
        parent + "[\(index)]"
    }

    private static func isSimple(_ key: String) -> Bool {
        guard !key.isEmpty else { return false }
        return key.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_", "-": true
            default: false
            }
        }
    }
}
