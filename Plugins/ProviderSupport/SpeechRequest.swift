// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// One agent text a TTS stage was asked to speak, with what the loop knew when it arrived.
///
/// Captured on the pipeline loop (in `Stage.process`) and handed to the provider's task, which
/// can't read the `StageContext` itself: the interruption epoch its output is posted with,
/// where on the media timeline its audio starts, and when it arrived (for the `ttfb` metric).
public struct SpeechRequest: Sendable {
    public var text: TextFrame
    /// `StageContext.epoch` when the text arrived: output of a reply cut by a later
    /// interruption is dropped by the engine.
    public var epoch: UInt64
    /// `StageContext.mediaNow` when the text arrived: the earliest media time of its audio.
    public var mediaStart: Nanos
    /// `StageContext.now()` when the text arrived.
    public var receivedAt: Nanos

    public init(text: TextFrame, epoch: UInt64, mediaStart: Nanos, receivedAt: Nanos) {
        self.text = text
        self.epoch = epoch
        self.mediaStart = mediaStart
        self.receivedAt = receivedAt
    }

    /// Captures `text` as it reaches the stage.
    public init(_ text: TextFrame, _ context: StageContext) {
        self.init(text: text, epoch: context.epoch, mediaStart: context.mediaNow, receivedAt: context.now())
    }
}
