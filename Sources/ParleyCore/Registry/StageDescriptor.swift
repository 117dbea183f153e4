// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Names a provider and model the way operators write it: `provider[/model][:variant]`.
///
/// | descriptor                     | provider  | model     | variant   |
/// |--------------------------------|-----------|-----------|-----------|
/// | `deepgram/nova-3:en`           | deepgram  | nova-3    | en        |
/// | `cartesia/sonic-3:VOICE_ID`    | cartesia  | sonic-3   | VOICE_ID  |
/// | `openai/gpt-4o-mini`           | openai    | gpt-4o-mini | –       |
/// | `webrtc`                       | webrtc    | –         | –         |
///
/// The provider is lower-cased (it is a registry key); model and variant keep their case
/// (voice ids are case-sensitive). The variant is everything after the first `:` following
/// the model, so voice ids containing `:` survive.
public struct StageDescriptor: Sendable, Hashable, CustomStringConvertible {
    public var provider: String
    public var model: String?
    public var variant: String?

    public init(provider: String, model: String? = nil, variant: String? = nil) {
        self.provider = provider.lowercased()
        self.model = model
        self.variant = variant
    }

    /// Parses `text`; the error message says what is wrong and shows the expected shape.
    public init(parsing text: String) throws(DescriptorError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw DescriptorError(text: text, problem: "is empty") }
        var head = Substring(trimmed)
        var variant: String?
        if let colon = head.firstIndex(of: ":") {
            variant = String(head[head.index(after: colon)...])
            head = head[..<colon]
            if variant!.isEmpty { throw DescriptorError(text: text, problem: "has an empty variant after ':'") }
        }
        var model: String?
        if let slash = head.firstIndex(of: "/") {
            model = String(head[head.index(after: slash)...])
            head = head[..<slash]
            if model!.isEmpty { throw DescriptorError(text: text, problem: "has an empty model after '/'") }
            if model!.contains(" ") { throw DescriptorError(text: text, problem: "has a space in the model name") }
        }
        let provider = String(head)
        guard !provider.isEmpty else { throw DescriptorError(text: text, problem: "has no provider before '/'") }
        guard provider.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw DescriptorError(text: text, problem: "has a provider name with characters other than letters, digits, '-', '_' or '.'")
        }
        self.init(provider: provider, model: model, variant: variant)
    }

    public var description: String {
        var s = provider
        if let model { s += "/" + model }
        if let variant { s += ":" + variant }
        return s
    }
}

public struct DescriptorError: Error, Sendable, CustomStringConvertible, Equatable {
    public var text: String
    public var problem: String
    public var description: String {
        "descriptor \"\(text)\" \(problem) (expected provider[/model][:variant], e.g. deepgram/nova-3:en)"
    }
}
