// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// An `stt`, `llm` or `tts` slot that lists providers in order of preference instead of one
/// (livekit-agents' `FallbackAdapter`); the assembler builds it as a `FallbackStage`:
///
/// ```yaml
/// llm:
///   fallback:
///     - openai/gpt-4o-mini
///     - { provider: openai-compatible/llama-3.1-8b, base_url: http://localhost:8080/v1 }
///   attempt_timeout_ms: 5000       # no first output in time → the next provider (0: errors only)
///   recovery_interval_ms: 30000    # a failed provider is tried first again after this
///   # stt only: pre_roll_ms: 500, max_replay_ms: 30000
/// ```
///
/// Each list item is what the slot itself could be (a descriptor or a mapping with
/// `provider:` and options); the registry builds and validates it, so a bad item is reported
/// at its own file:line.
public struct FallbackSlotConfig: Sendable {
    public var kind: StageKind
    /// The providers' config nodes, in order.
    public var providers: [ConfigNode]
    public var settings: FallbackSettings

    public static let kinds: [StageKind] = [.stt, .llm, .tts]

    /// Whether `node` is a slot in this form (a mapping with `fallback:`).
    public static func isFallback(_ node: ConfigNode) -> Bool {
        if case .mapping = node.kind { return node["fallback"] != nil }
        return false
    }

    public init(node: ConfigNode, kind: StageKind) throws {
        let list = try node.require("fallback")
        guard Self.kinds.contains(kind) else {
            throw list.error("is not available for \(kind)", allowed: "fallback lists in stt, llm and tts")
        }
        var allowed = ["fallback", "attempt_timeout_ms", "recovery_interval_ms"]
        if kind == .stt { allowed += ["pre_roll_ms", "max_replay_ms"] }
        try node.rejectUnknownKeys(allowed: allowed)
        self.kind = kind
        providers = try list.sequence()
        guard !providers.isEmpty else {
            throw list.error("lists no provider", allowed: "one or more providers, first preferred")
        }
        guard providers.count <= 16 else { throw list.error("lists \(providers.count) providers", allowed: "at most 16") }
        let defaults = FallbackSettings.defaults(for: kind)
        settings = FallbackSettings(
            attemptTimeoutMs: try node.int("attempt_timeout_ms", default: Int(defaults.attemptTimeout / 1_000_000),
                                           in: 0...600_000),
            recoveryIntervalMs: try node.int("recovery_interval_ms", default: Int(defaults.recoveryInterval / 1_000_000),
                                             in: 0...86_400_000),
            preRollMs: try node.int("pre_roll_ms", default: Int(defaults.preRoll / 1_000_000), in: 0...5_000),
            maxReplayMs: try node.int("max_replay_ms", default: Int(defaults.maxReplay / 1_000_000), in: 1_000...300_000))
    }
}
