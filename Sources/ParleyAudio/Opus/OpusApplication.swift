// SPDX-License-Identifier: Apache-2.0

internal import COpus

/// What the encoder optimises for (`OPUS_APPLICATION_*`), fixed when the encoder is created.
///
/// Parley's voice pipeline wants `.voip`: libopus then favours speech intelligibility, enables
/// SILK/hybrid modes at speech bitrates (which is what carries in-band FEC, RFC 6716 §2.1.7)
/// and applies a high-pass filter. `.audio` favours fidelity to the input (music, TTS played
/// as-is at high bitrates); `.lowDelay` drops SILK entirely (CELT only, no FEC) to save the
/// extra 4 ms of lookahead that the speech modes need.
public enum OpusApplication: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `OPUS_APPLICATION_VOIP`: speech, best intelligibility, FEC available.
    case voip
    /// `OPUS_APPLICATION_AUDIO`: faithful reproduction of general audio.
    case audio
    /// `OPUS_APPLICATION_RESTRICTED_LOWDELAY`: CELT only, lowest algorithmic delay, no FEC.
    case lowDelay

    var rawValue: Int32 {
        switch self {
        case .voip: Int32(OPUS_APPLICATION_VOIP)
        case .audio: Int32(OPUS_APPLICATION_AUDIO)
        case .lowDelay: Int32(OPUS_APPLICATION_RESTRICTED_LOWDELAY)
        }
    }

    public var description: String {
        switch self {
        case .voip: "voip"
        case .audio: "audio"
        case .lowDelay: "lowdelay"
        }
    }
}
