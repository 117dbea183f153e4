// SPDX-License-Identifier: Apache-2.0

extension ConfigNode {
    /// A scalar node that did not come from a file (a CLI argument, a dispatch-metadata
    /// override), labelled so errors still say where the value came from.
    public static func scalar(_ text: String, label: String, keyPath: String = "") -> ConfigNode {
        ConfigNode(kind: .scalar(text), location: SourceLocation(file: label, line: 1, column: 1), keyPath: keyPath)
    }
}
