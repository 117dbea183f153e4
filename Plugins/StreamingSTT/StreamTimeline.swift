// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Maps the provider's clock back to the pipeline's media timeline.
///
/// A streaming provider times its results in seconds since the first audio byte of the
/// connection. That clock is the count of samples *sent*, which is not the media timeline:
/// frames can be missing (a realtime edge dropped some, the uplink overflowed), and the uplink
/// may pad a short last message with silence (AssemblyAI refuses messages under 50 ms). So two
/// anchor lists are kept, each entry saying "from here on, time runs on from this media time":
///
/// ```
///   loop writes frames      ring position ──(written anchors, at every timestamp jump)──► media time
///   sender sends messages   provider offset ──(sent anchors, at every jump or padding)───► media time
///   receiver maps results   seconds × rate = provider offset ─► last sent anchor ≤ it ─► media time
/// ```
///
/// Contiguous audio adds no anchors, so steady streaming allocates nothing here.
struct StreamTimeline {
    struct Anchor: Equatable {
        var position: Int64
        var media: Nanos
    }

    let sampleRate: Int
    /// Ring position → media time, one entry per discontinuity in the frames written.
    private(set) var written: [Anchor] = []
    /// Provider offset → media time, one entry per discontinuity in what was sent.
    private(set) var sent: [Anchor] = []
    private var nextWriteMedia: Nanos?
    static let maximumSentAnchors = 256

    init(sampleRate: Int) {
        self.sampleRate = sampleRate
        written.reserveCapacity(16)
        sent.reserveCapacity(Self.maximumSentAnchors)
    }

    func nanos(samples: Int64) -> Nanos { samples * 1_000_000_000 / Nanos(sampleRate) }
    func samples(nanos: Nanos) -> Int64 { nanos * Nanos(sampleRate) / 1_000_000_000 }

    /// Called by the loop for each frame written at ring `position`.
    mutating func wrote(at position: Int64, timestamp: Nanos, samples: Int) {
        // A jump of less than one sample is rounding in the frame timestamps, not a gap.
        if nextWriteMedia.map({ abs($0 - timestamp) >= nanos(samples: 1) }) ?? true {
            written.append(Anchor(position: position, media: timestamp))
        }
        nextWriteMedia = timestamp + nanos(samples: Int64(samples))
    }

    /// Media time of the sample at ring `position` (the first one written, if none was yet).
    func media(atRingPosition position: Int64) -> Nanos {
        guard let anchor = written.last(where: { $0.position <= position }) ?? written.first else { return 0 }
        return anchor.media + nanos(samples: position - anchor.position)
    }

    /// Called by the sender for a message carrying ring samples `[ringStart, ringStart + count)`
    /// from provider offset `providerOffset` on (any silence padding follows them).
    mutating func sending(ringStart: Int64, count: Int, providerOffset: Int64) {
        let start = media(atRingPosition: ringStart)
        if sent.isEmpty || abs(media(atProviderOffset: providerOffset) - start) >= nanos(samples: 1) {
            appendSent(Anchor(position: providerOffset, media: start))
        }
        for anchor in written where anchor.position > ringStart && anchor.position < ringStart + Int64(count) {
            appendSent(Anchor(position: providerOffset + anchor.position - ringStart, media: anchor.media))
        }
    }

    /// Drops written anchors the sender has passed (keeping the one that maps `position`).
    mutating func sent(through position: Int64) {
        guard let keep = written.lastIndex(where: { $0.position <= position }), keep > 0 else { return }
        written.removeFirst(keep)
    }

    /// Media time of provider offset `offset` (samples since the connection's first audio).
    func media(atProviderOffset offset: Int64) -> Nanos {
        guard let anchor = sent.last(where: { $0.position <= offset }) ?? sent.first else {
            return media(atRingPosition: offset)
        }
        return anchor.media + nanos(samples: offset - anchor.position)
    }

    func media(atProviderSeconds seconds: Double) -> Nanos {
        media(atProviderOffset: Int64((seconds * Double(sampleRate)).rounded()))
    }

    private mutating func appendSent(_ anchor: Anchor) {
        if sent.count == Self.maximumSentAnchors { sent.removeFirst() }
        sent.append(anchor)
    }
}
