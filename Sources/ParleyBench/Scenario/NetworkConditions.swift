// SPDX-License-Identifier: Apache-2.0

import ParleyAudio

/// The network a scenario's Parley sessions receive the user over: one of the named synthetic
/// traces of the jitter-buffer evaluation (`parley bench jitter` describes them), applied to
/// the Opus packets in front of the adaptive jitter buffer.
public enum NetworkConditions {
    public static var names: [String] { NamedTraces.all }
    public static func isKnown(_ name: String) -> Bool { NamedTraces.model(named: name) != nil }
}
