// SPDX-License-Identifier: Apache-2.0

import Yams

/// Composes YAML while letting duplicate keys through, so they can be reported at the
/// *second* occurrence with a full key path.
///
/// Yams rejects duplicate keys itself, but only reports the first occurrence, without a key
/// path, and for the innermost mapping first rather than the first in the file. The
/// operator needs the opposite: the line they just added that clashes. So when Yams
/// rejects a duplicate, the first occurrence is renamed in the text to a unique
/// placeholder of the same length (columns on that line stay put, so every location stays
/// true) and the text is composed again. `YAMLTreeConverter` maps placeholders back and
/// finds the duplicate in document order.
enum DuplicateKeyRecovery {
    struct Composed {
        var root: Yams.Node?
        /// Placeholder key text → the original key.
        var renamedKeys: [String: String]
    }

    /// Bounds the re-parsing work for a pathological file; past it, Yams' own report is used.
    static let maxRenames = 64

    static func compose(yaml: String, file: String) throws -> Composed {
        var text = yaml
        var renamed: [String: String] = [:]
        while true {
            do {
                return Composed(root: try Yams.compose(yaml: text), renamedKeys: renamed)
            } catch let YamlError.duplicatedKeysInMapping(duplicates, context) {
                guard renamed.count < maxRenames,
                      let key = duplicates.first,
                      let (newText, placeholder) = rename(
                        key: key, at: context.mark, in: text, ordinal: renamed.count
                      )
                else {
                    throw ConfigLoader.configError(
                        from: .duplicatedKeysInMapping(duplicates: duplicates, context: context), file: file
                    )
                }
                text = newText
                renamed[placeholder] = key
            } catch let error as YamlError {
                throw ConfigLoader.configError(from: error, file: file)
            }
        }
    }

    /// Replaces the key token starting at `mark` with a placeholder of equal scalar length.
    /// Returns nil when the text there is not recognisably that key (multi-line keys,
    /// aliases, empty quoted keys); the caller then falls back to Yams' report.
    static func rename(key: String, at mark: Mark, in text: String, ordinal: Int) -> (String, String)? {
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map(Array.init)
        let lineIndex = mark.line - 1
        guard lines.indices.contains(lineIndex) else { return nil }
        var line = lines[lineIndex]
        let column = mark.column - 1
        guard column >= 0, column < line.count else { return nil }

        let range: Range<Int>
        switch line[column] {
        case "\"":
            var end = column + 1
            while end < line.count, line[end] != "\"" {
                end += line[end] == "\\" ? 2 : 1
            }
            guard end < line.count else { return nil }
            range = (column + 1)..<end
        case "'":
            var end = column + 1
            while end < line.count {
                if line[end] == "'" {
                    if end + 1 < line.count, line[end + 1] == "'" {
                        end += 2
                        continue
                    }
                    break
                }
                end += 1
            }
            guard end < line.count else { return nil }
            range = (column + 1)..<end
        default:
            let keyScalars = Array(key.unicodeScalars)
            guard column + keyScalars.count <= line.count,
                  Array(line[column..<(column + keyScalars.count)]) == keyScalars
            else { return nil }
            range = column..<(column + keyScalars.count)
        }
        guard !range.isEmpty, let placeholder = placeholder(ordinal: ordinal, length: range.count) else {
            return nil
        }
        line.replaceSubrange(range, with: placeholder.unicodeScalars)
        lines[lineIndex] = line

        var joined = String.UnicodeScalarView()
        for (index, part) in lines.enumerated() {
            if index > 0 { joined.append("\n") }
            joined.append(contentsOf: part)
        }
        return (String(joined), placeholder)
    }

    /// Private-use characters never appear in real keys, are printable to libyaml and may
    /// start a plain scalar; a distinct first character per rename keeps them unique.
    static func placeholder(ordinal: Int, length: Int) -> String? {
        guard let first = Unicode.Scalar(0xE000 + ordinal), let fill = Unicode.Scalar(0xE000) else { return nil }
        var view = String.UnicodeScalarView()
        view.append(first)
        view.append(contentsOf: repeatElement(fill, count: length - 1))
        return String(view)
    }
}
