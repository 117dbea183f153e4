// SPDX-License-Identifier: Apache-2.0

/// A position in a config source.
///
/// Lines and columns are 1-based, as editors and compilers show them, so an operator can
/// paste the `file:line:column` prefix of an error straight into an editor's "go to" box.
/// Columns count Unicode scalars, which is what libyaml counts; for ASCII files that is
/// the same as the byte column.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// A location for problems with a file as a whole (missing, unreadable, not UTF-8).
    ///
    /// Such problems have no meaningful position; line 0 records that, so the message names
    /// only the file instead of pointing at a misleading `1:1`.
    public static func wholeFile(_ file: String) -> SourceLocation {
        SourceLocation(file: file, line: 0, column: 0)
    }

    /// `file:line:column`, or just `file` for a whole-file location.
    public var description: String {
        line > 0 ? "\(file):\(line):\(column)" : file
    }
}
