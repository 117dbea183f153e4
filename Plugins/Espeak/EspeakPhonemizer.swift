// SPDX-License-Identifier: Apache-2.0

import CEspeakNG
import Foundation

/// Text → IPA phonemes with espeak-ng, the way Piper voices were trained (`espeakPHONEMES_IPA`,
/// no separators, NFD-normalised).
///
/// sherpa-onnx 2.x no longer bundles espeak-ng, so Piper through sherpa needs its phonemes from
/// here. libespeak-ng 1.51 (Debian 12) lacks `espeak_TextToPhonemesWithTerminator`, so clause
/// punctuation is rebuilt approximately: clauses of a sentence are joined with ", " and the
/// sentence's own terminal punctuation (. ? !) is appended, which is what Piper's phonemizer emits
/// for ordinary prose.
///
/// Threading: not `Sendable`; confine an instance to one thread. espeak-ng calls are serialised
/// process-wide (see `EspeakRuntime`).
public final class EspeakPhonemizer {
    public let voice: String

    public init(voice: String = "en-us") throws {
        self.voice = voice
        _ = try EspeakRuntime.withEngine(voice: voice) { $0 }
    }

    /// One IPA string per sentence of `text` (empty sentences dropped).
    public func phonemize(_ text: String) throws -> [String] {
        try Self.sentences(of: text).compactMap { sentence, terminator in
            let clauses = try phonemizeClauses(sentence)
            guard !clauses.isEmpty else { return nil }
            return clauses.joined(separator: ", ") + terminator
        }
    }

    /// espeak-ng's IPA for each clause of `text`, in order.
    public func phonemizeClauses(_ text: String) throws -> [String] {
        try EspeakRuntime.withEngine(voice: voice) { _ in
            var clauses: [String] = []
            text.withCString { cText in
                var cursor: UnsafeRawPointer? = UnsafeRawPointer(cText)
                while let current = cursor {
                    var pointer: UnsafeRawPointer? = current
                    // Returns a pointer into espeak-ng's static buffer: copy it before the next call.
                    guard let ipa = espeak_TextToPhonemes(&pointer, espeakCHARS_UTF8, espeakPHONEMES_IPA) else { break }
                    let clause = Self.clean(String(cString: ipa))
                    if !clause.isEmpty { clauses.append(clause) }
                    // espeak-ng sets the pointer to NULL after the last clause.
                    guard let next = pointer, next != current else { break }
                    cursor = next
                }
            }
            return clauses
        }
    }

    /// Drops language-switch marks like "(fr)" and normalises to NFD as Piper's phonemizer does.
    static func clean(_ ipa: String) -> String {
        var out = ipa
        while let open = out.firstIndex(of: "("), let close = out[open...].firstIndex(of: ")") {
            out.removeSubrange(open...close)
        }
        return out.trimmingCharacters(in: .whitespacesAndNewlines).decomposedStringWithCanonicalMapping
    }

    /// Splits at ". ", "? ", "! " (and the end), keeping each sentence's terminator ("." if none).
    static func sentences(of text: String) -> [(String, String)] {
        var result: [(String, String)] = []
        var current = ""
        var chars = Array(text)
        chars.append(" ")
        for (i, c) in chars.enumerated() {
            if ".?!".contains(c), i + 1 < chars.count, chars[i + 1].isWhitespace {
                let s = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !s.isEmpty { result.append((s, String(c))) }
                current = ""
            } else {
                current.append(c)
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { result.append((rest, ".")) }
        return result
    }
}
