// SPDX-License-Identifier: Apache-2.0

internal import COpus

/// A hint about the content (`OPUS_SET_SIGNAL`) that biases libopus's choice between the
/// speech (SILK/hybrid) and music (CELT) modes. `.auto` lets the encoder's own classifier
/// decide, which is right for a microphone; a TTS stage that knows it only ever sends speech
/// can say `.voice` so the mode does not flap on breathy or noisy segments.
public enum OpusSignal: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case auto
    case voice
    case music

    var rawValue: Int32 {
        switch self {
        case .auto: Int32(OPUS_AUTO)
        case .voice: Int32(OPUS_SIGNAL_VOICE)
        case .music: Int32(OPUS_SIGNAL_MUSIC)
        }
    }

    init?(rawValue: Int32) {
        switch rawValue {
        case Int32(OPUS_AUTO): self = .auto
        case Int32(OPUS_SIGNAL_VOICE): self = .voice
        case Int32(OPUS_SIGNAL_MUSIC): self = .music
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .auto: "auto"
        case .voice: "voice"
        case .music: "music"
        }
    }
}
