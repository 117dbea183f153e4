// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// An adaptive audio jitter buffer: RTP packets go in as they arrive (`insert`), one frame of
/// PCM comes out per 20 ms tick (`pull`), decoded, recovered from FEC, concealed, or silence.
///
/// ```
///  network ─► insert(packet, now) ─► validate (SSRC, seq/ts jumps: RFC 3550 §A.1 probation)
///                                    ├─ duplicate? late? (ReceivedSequenceWindow, playout point)
///                                    ├─ TargetDelayEstimator.update(transit)   ── target C*
///                                    └─ PacketStore (slot ring + payload slab)
///  20 ms tick ─► pull(now) ─► adapt: playout offset C vs target C*
///                             │  C < C*: hold (conceal without advancing; free in a gap/silence)
///                             │  C ≥ C* + frame + margin: drop a due packet (skip silence for free)
///                             └─ next chunk: decode ─ FEC from the next packet ─ conceal ─ silence
/// ```
///
/// **Timeline.** Sequence numbers order packets (RFC 3550 §A.1 extended, 16-bit wrap);
/// timestamps place them in media time (32-bit wrap, extended the same way). The stream's
/// first packet anchors the media timeline to the receiver clock; the *playout offset*
/// `C = now − media time of the sample being played` is constant while the buffer plays one
/// frame per tick, and a packet is late exactly when its transit `arrival − media time`
/// exceeds C (see `TargetDelayEstimator`).
///
/// **Adapting the delay** (no time-stretching): the playout point moves in whole frames, the
/// only step that matters, since the consumer's 20 ms pulls quantize every packet's deadline.
/// - *Later* (C below target): a frame of concealment is played without advancing the media
///   position. Done at once when it costs nothing — the due packet is missing anyway (it may
///   still come), or the sender is in a DTX gap — and otherwise at most once per
///   `increaseDwell`, between two packets.
/// - *Earlier* (C at least one frame + `decreaseMargin` above target): in a DTX gap a silence
///   frame is skipped at once; in speech the due packet is decoded and discarded (`dropped`)
///   after `decreaseDwell`, or several at once when the excess reaches `fastDecreaseFrames`
///   for `fastDecreaseDwell` (after a delay spike: one cut instead of many).
///
/// **Discontinuities.** A missing packet with a later one buffered is lost: the frame right
/// before a buffered packet is recovered from that packet's in-band FEC when the decoder can,
/// other frames are concealed. Contiguous sequence numbers with a timestamp gap are a DTX
/// gap: silence (comfort noise), never loss. With nothing buffered (an underrun) the buffer
/// *holds*, as NetEQ expands: it conceals without advancing, so the packets of a network
/// stall are played when they come instead of being discarded as late (and peak mode may keep
/// the delay that absorbed the stall). If the next packet to arrive is a later one, the
/// underrun was loss: the held frames are booked as its concealment (`reconciled`) and the
/// position moves on, so a loss burst adds no delay. After `maxConcealment` of underrun the
/// buffer returns to `.buffering`. A new SSRC, or
/// a sequence or timestamp jump confirmed by a second packet, restarts the timeline (`resets`).
/// Clock drift shows up as a slow change of transit; the target follows it and the
/// hold/drop rules above keep C within a frame of it, so the delay neither grows nor starves.
///
/// **Cost.** No allocation per packet or frame once running: payloads are copied into a
/// preallocated slab, frames come from an `AudioBufferPool` (which allocates only if the
/// consumer holds on to more frames than ever before), histograms and windows are fixed-size.
///
/// Not thread-safe: owned by one pipeline loop, like every stage's state.
public final class JitterBuffer<Decoder: JitterBufferDecoder> {
    public let config: JitterBufferConfig
    /// The decoder (inspect it in tests; the buffer is its only writer).
    public private(set) var decoder: Decoder
    public private(set) var state: JitterBufferState = .idle
    /// The audio format of the frames `pull` returns.
    public let format: AudioFormat

    private var counters = JitterBufferStats()
    private let pool: AudioBufferPool
    private let store: PacketStore
    private var receivedWindow = ReceivedSequenceWindow()
    private var estimator: TargetDelayEstimator
    private var probation: StreamProbation
    /// Decoder output; samples not yet played stay here (`pendingStart`, `pendingCount`).
    private let pcm: UnsafeMutableBufferPointer<Int16>

    // The stream.
    private var hasStream = false
    private var ssrc: UInt32 = 0
    private var sequenceUnwrapper = SequenceNumberUnwrapper()
    private var timestampUnwrapper = RTPTimestampUnwrapper()
    private var anchorTimestamp: Int64 = 0
    private var anchorArrival: Nanos = 0
    private var highestSequence: Int64 = 0
    /// False until this timeline has played its first packet (earlier packets may still come).
    private var timelineStarted = false

    // The playout point.
    /// Every sequence number up to this one has been played, dropped or given up.
    private var lastPlayedSequence: Int64 = 0
    /// Media position just after the pending samples: where the next chunk starts.
    private var nextTimestamp: Int64 = 0
    private var pendingStart = 0
    private var pendingCount = 0
    private var pendingKind: PlayoutKind = .silence
    /// The pending samples were inserted (a hold): they do not advance the media position.
    private var pendingHeld = false
    /// Samples per channel of the last decoded packet (the frame size FEC recovers).
    private var lastPacketSamples: Int
    /// The last packet played was DTX: an empty buffer is silence, not an underrun.
    private var inDTX = false
    /// Consecutive samples concealed with nothing buffered.
    private var starvedSamples = 0
    /// Samples concealed without advancing while nothing was buffered (an underrun hold): if
    /// the next packet shows the awaited ones were lost, they are booked as its concealment.
    private var heldSamples = 0
    private var belowTargetSince: Nanos?
    private var aboveTargetSince: Nanos?
    private var lastNow: Nanos?
    private var adjustment = Adjustment()
    /// Playout offset at the start of the last pull (for `stats.currentDelay`).
    private var lastOffset: Nanos = 0
    private var frameCounter: UInt64 = 0

    public init(decoder: Decoder, config: JitterBufferConfig = .opus) {
        precondition(config.clockRate > 0 && config.channels > 0 && config.frameSamples > 0, "invalid JitterBufferConfig")
        precondition(config.maxPacketSamples >= config.frameSamples, "maxPacketSamples must hold one frame")
        self.config = config
        self.decoder = decoder
        format = AudioFormat(sampleRate: config.clockRate, channels: config.channels, samplesPerFrame: config.frameSamples)
        pool = AudioBufferPool(bufferCapacity: config.frameSamples * config.channels, preallocate: 4)
        store = PacketStore(slotCount: config.slotCount, maxPayloadBytes: config.maxPayloadBytes)
        estimator = TargetDelayEstimator(config: config)
        probation = StreamProbation(maxPayloadBytes: config.maxPayloadBytes)
        let capacity = config.maxPacketSamples * config.channels
        pcm = .allocate(capacity: capacity)
        pcm.initialize(repeating: 0)
        lastPacketSamples = config.frameSamples
    }

    deinit { pcm.deallocate() }

    /// Counters and current delays.
    public var stats: JitterBufferStats {
        var s = counters
        s.interarrivalJitter = estimator.jitter.nanos
        s.peakMode = estimator.peakMode
        s.bufferedPackets = store.count
        if let base = estimator.baseline {
            s.targetDelay = estimator.target &- base
            if state == .playing { s.currentDelay = lastOffset &- base }
        }
        return s
    }

    /// Forgets the stream (the next packet starts a new one); counters are kept.
    public func reset() {
        clearStream()
        probation.clear()
        hasStream = false
        state = .idle
        counters.resets += 1
    }

    // MARK: - Insert

    /// Hands over one received packet. `now` is the receiver clock; the packet's `arrivalTime`
    /// is used when it is plausible (not after `now`, not more than `maxArrivalSkew` before).
    public func insert(_ packet: RTPPacket, now: Nanos) {
        let now = monotonic(now)
        let arrival = plausibleArrival(packet.arrivalTime, now: now)
        counters.received += 1
        packet.payload.withUnsafeBytes { payload in
            accept(ssrc: packet.ssrc, sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp,
                   payload: payload, arrival: arrival)
        }
    }

    private func accept(ssrc: UInt32, sequenceNumber: UInt16, timestamp: UInt32, payload: UnsafeRawBufferPointer,
                        arrival: Nanos) {
        guard payload.count > 0, payload.count <= config.maxPayloadBytes else {
            counters.invalid += 1
            return
        }
        if !hasStream {
            restartTimeline(ssrc: ssrc, sequenceNumber: sequenceNumber, timestamp: timestamp, arrival: arrival)
        }
        guard ssrc == self.ssrc else {
            probe(ssrc: ssrc, sequenceNumber: sequenceNumber, timestamp: timestamp, payload: payload, arrival: arrival)
            return
        }
        let seq = sequenceUnwrapper.extend(sequenceNumber)
        let ts = timestampUnwrapper.extend(timestamp)
        let seqStep = seq - highestSequence
        // Sequence jump (RFC 3550 §A.1: beyond MAX_DROPOUT ahead or MAX_MISORDER behind).
        if seqStep > Int64(config.maxDropout) || seqStep < -Int64(config.maxMisorder) {
            probe(ssrc: ssrc, sequenceNumber: sequenceNumber, timestamp: timestamp, payload: payload, arrival: arrival)
            return
        }
        let transit = self.transit(timestamp: ts, arrival: arrival)
        // Timestamp jump: this packet would play seconds away from where the stream plays.
        if estimator.samples > 0 {
            let off = transit &- estimator.target
            if off > config.maxTimestampJump || off < -config.maxTimestampJump {
                probe(ssrc: ssrc, sequenceNumber: sequenceNumber, timestamp: timestamp, payload: payload, arrival: arrival)
                return
            }
        }
        switch receivedWindow.mark(seq) {
        case .duplicate:
            counters.duplicate += 1
            return
        case .tooOld:
            counters.late += 1
            return
        case .fresh:
            break
        }
        // Every packet in the stream, late ones included, tells how late packets come.
        estimator.update(transit: transit, arrival: arrival)
        sequenceUnwrapper.accept(seq)
        timestampUnwrapper.accept(ts)
        let wasReordered = seq < highestSequence

        if !timelineStarted && seq <= lastPlayedSequence && lastPlayedSequence - seq < Int64(store.slotCount / 2) {
            // Before the first packet is played, an earlier packet just moves the start back.
            lastPlayedSequence = seq - 1
        }
        if seq <= lastPlayedSequence || (timelineStarted && ts < nextTimestamp) {
            counters.late += 1
            return
        }
        if wasReordered { counters.reordered += 1 }
        if seq - lastPlayedSequence > Int64(store.slotCount) {
            // Further ahead than the buffer holds: start over from this packet.
            counters.overflow += 1
            counters.resets += 1
            restartTimeline(ssrc: ssrc, sequenceNumber: sequenceNumber, timestamp: timestamp, arrival: arrival)
            accept(ssrc: ssrc, sequenceNumber: sequenceNumber, timestamp: timestamp, payload: payload, arrival: arrival)
            return
        }
        store.insert(sequence: seq, timestamp: ts, arrival: arrival, payload: payload)
        if seq > highestSequence { highestSequence = seq }
        if state == .idle { state = .buffering }
    }

    /// A packet that does not fit the stream: hold it on probation, or, if it confirms the
    /// packet already on probation, restart the stream from both (RFC 3550 §A.1).
    private func probe(ssrc: UInt32, sequenceNumber: UInt16, timestamp: UInt32, payload: UnsafeRawBufferPointer,
                       arrival: Nanos) {
        let confirmed = probation.confirms(ssrc: ssrc, sequenceNumber: sequenceNumber, timestamp: timestamp,
                                           arrival: arrival, maxTimestampStep: Int64(config.maxPacketSamples),
                                           maxGap: config.maxArrivalSkew)
        guard confirmed, let candidate = probation.candidate else {
            probation.hold(ssrc: ssrc, sequenceNumber: sequenceNumber, timestamp: timestamp, arrival: arrival,
                           payload: payload)
            counters.outOfStream += 1
            return
        }
        counters.outOfStream -= 1 // the candidate is accepted after all
        counters.resets += 1
        restartTimeline(ssrc: candidate.ssrc, sequenceNumber: candidate.sequenceNumber, timestamp: candidate.timestamp,
                        arrival: candidate.arrival)
        probation.withCandidatePayload { held in
            accept(ssrc: candidate.ssrc, sequenceNumber: candidate.sequenceNumber, timestamp: candidate.timestamp,
                   payload: held, arrival: candidate.arrival)
        }
        probation.clear()
        accept(ssrc: ssrc, sequenceNumber: sequenceNumber, timestamp: timestamp, payload: payload, arrival: arrival)
    }

    private func clearStream() {
        store.removeAll()
        receivedWindow.reset()
        estimator.reset()
        sequenceUnwrapper.reset()
        timestampUnwrapper.reset()
        decoder.reset()
        pendingStart = 0
        pendingCount = 0
        inDTX = false
        starvedSamples = 0
        heldSamples = 0
        belowTargetSince = nil
        aboveTargetSince = nil
        timelineStarted = false
        lastPacketSamples = config.frameSamples
    }

    /// Starts a new timeline anchored at this packet (the caller then accepts the packet). The
    /// probation candidate survives: `probe` replays it into the new timeline.
    private func restartTimeline(ssrc: UInt32, sequenceNumber: UInt16, timestamp: UInt32, arrival: Nanos) {
        clearStream()
        hasStream = true
        self.ssrc = ssrc
        let seq = sequenceUnwrapper.extend(sequenceNumber)
        let ts = timestampUnwrapper.extend(timestamp)
        anchorTimestamp = ts
        anchorArrival = arrival
        highestSequence = seq - 1
        lastPlayedSequence = seq - 1
        nextTimestamp = ts
        state = .buffering
    }

    // MARK: - Pull

    /// Produces the next frame of `frameSamples` samples per channel. Call once per tick.
    public func pull(now: Nanos) -> JitterBufferFrame {
        let now = monotonic(now)
        frameCounter += 1
        counters.frames += 1
        let buffer = pool.acquire()
        let out = UnsafeMutableBufferPointer(start: buffer.storage, count: config.frameSamples * config.channels)
        var info = FrameInfo(kind: .silence, sequence: nil, bufferDelay: nil, timestamp: playoutPosition)
        estimator.refresh(now: now)
        if state == .buffering { startPlayoutIfDue(now: now) }
        if state == .playing {
            info.timestamp = playoutPosition
            fillFrame(out, now: now, info: &info)
        } else {
            out.update(repeating: 0)
        }
        switch info.kind {
        case .silence: counters.silence += 1
        case .concealed: counters.concealed += 1
        case .decoded, .fec: break
        }
        let audio = AudioFrame(buffer: buffer, format: format, timestamp: now, sequence: frameCounter, role: config.role)
        return JitterBufferFrame(audio: audio, kind: info.kind,
                                 sequenceNumber: info.sequence.map { UInt16(truncatingIfNeeded: $0) },
                                 rtpTimestamp: UInt32(truncatingIfNeeded: info.timestamp), bufferDelay: info.bufferDelay)
    }

    private struct FrameInfo {
        var kind: PlayoutKind
        var sequence: Int64?
        var bufferDelay: Nanos?
        var timestamp: Int64
    }

    /// Media position of the next sample to play.
    private var playoutPosition: Int64 { pendingHeld ? nextTimestamp : nextTimestamp - Int64(pendingCount) }

    private func startPlayoutIfDue(now: Nanos) {
        guard let first = store.first(from: lastPlayedSequence + 1, through: highestSequence) else { return }
        let ts = store.timestamp(of: first)
        let offset = (now &- anchorArrival) &- mediaNanos(ts - anchorTimestamp)
        guard offset >= estimator.target else { return }
        state = .playing
        timelineStarted = true
        nextTimestamp = ts
        pendingCount = 0
        starvedSamples = 0
        belowTargetSince = nil
        aboveTargetSince = nil
    }

    /// What the current tick wants done to the playout point; carried out at the next packet
    /// boundary, in whole frames (the consumer's pull grid quantizes deadlines to frames, so
    /// a finer shift of the output would not change when any packet is needed).
    private struct Adjustment {
        /// Below target: a missing packet or a silence frame may be held, at no cost.
        var holdFree = false
        /// Insert a frame of concealment before the next packet (below target for `increaseDwell`).
        var insertFrame = false
        /// A frame of silence may be skipped, at no cost (a frame or more above target).
        var skipFree = false
        /// Due packets to drop (decode and discard), after `decreaseDwell`.
        var dropPackets = 0
    }

    /// Compares the playout offset with the target and plans this tick's adjustment.
    private func planAdjustment(now: Nanos) {
        let frameDuration = config.frameDuration
        lastOffset = playoutOffset(now: now)
        let excess = lastOffset &- estimator.target
        var plan = Adjustment()
        if excess < 0 {
            if belowTargetSince == nil { belowTargetSince = now }
            plan.holdFree = true
            // At most one frame per dwell: holds for missing packets are free and immediate,
            // inserting into flowing speech is neither, and early estimates overshoot.
            plan.insertFrame = now - belowTargetSince! >= config.increaseDwell
        } else {
            belowTargetSince = nil
        }
        plan.skipFree = excess >= frameDuration
        if excess >= frameDuration + config.decreaseMargin {
            if aboveTargetSince == nil { aboveTargetSince = now }
            let frames = Int((excess - config.decreaseMargin) / frameDuration)
            let waited = now - aboveTargetSince!
            if frames >= config.fastDecreaseFrames && waited >= config.fastDecreaseDwell {
                plan.dropPackets = frames
            } else if waited >= config.decreaseDwell {
                plan.dropPackets = 1
            }
        } else {
            aboveTargetSince = nil
        }
        adjustment = plan
    }

    private func fillFrame(_ out: UnsafeMutableBufferPointer<Int16>, now: Nanos, info: inout FrameInfo) {
        let frame = config.frameSamples
        let channels = config.channels
        planAdjustment(now: now)
        var filled = 0
        while filled < frame {
            if pendingCount == 0 {
                produceChunk(now: now, info: &info)
                if state != .playing || pendingCount == 0 { break }
            }
            let n = min(pendingCount, frame - filled)
            (out.baseAddress! + filled * channels).update(from: pcm.baseAddress! + pendingStart * channels,
                                                          count: n * channels)
            pendingStart += n
            pendingCount -= n
            filled += n
            if pendingKind > info.kind { info.kind = pendingKind }
        }
        if filled < frame {
            (out.baseAddress! + filled * channels).update(repeating: 0, count: (frame - filled) * channels)
        }
    }

    /// Produces the next chunk into `pcm` (sets `pendingCount`, `pendingKind`).
    private func produceChunk(now: Nanos, info: inout FrameInfo) {
        let frame = config.frameSamples
        pendingStart = 0
        pendingCount = 0
        pendingHeld = false
        if adjustment.dropPackets > 0 {
            if dropDuePackets(upTo: adjustment.dropPackets) > 0 { aboveTargetSince = now }
            adjustment.dropPackets = 0
        }
        if let seq = store.first(from: lastPlayedSequence + 1, through: highestSequence) {
            starvedSamples = 0
            let ts = store.timestamp(of: seq)
            if heldSamples > 0 && seq > lastPlayedSequence + 1 && ts > nextTimestamp {
                // The underrun was loss, not delay: the held concealment covered the missing
                // packets, so the media position moves on by as much.
                let covered = min(Int64(heldSamples), ts - nextTimestamp)
                nextTimestamp += covered
                counters.inserted -= Int(covered) / config.frameSamples
                counters.reconciled += Int(covered) / config.frameSamples
            }
            heldSamples = 0
            if ts <= nextTimestamp {
                if adjustment.insertFrame {
                    // Later: a frame of concealment between the last packet and this one.
                    counters.inserted += 1
                    concealChunk(frame, advance: false)
                    adjustment.insertFrame = false
                    adjustment.holdFree = false
                    belowTargetSince = now
                    return
                }
                decodePacket(seq, timestamp: ts, now: now, info: &info)
                return
            }
            let gap = Int(min(ts - nextTimestamp, Int64(config.maxPacketSamples)))
            if seq == lastPlayedSequence + 1 {
                // Nothing is missing: the sender paused (DTX). Silence, and a free adjustment.
                silenceChunk(min(gap, frame), until: ts)
                return
            }
            // Packets are missing before `seq`.
            if adjustment.holdFree {
                // Below target anyway: wait a frame for the missing packet instead of giving up on it.
                holdForMissingPacket(now: now)
                return
            }
            let fecSpan = lastPacketSamples
            if gap <= fecSpan {
                let n = (try? decoder.decodeFEC(from: store.payload(of: seq), frameSize: gap, into: pcm)) ?? 0
                if n > 0 {
                    let n = min(n, gap)
                    pendingCount = n
                    pendingKind = .fec
                    nextTimestamp += Int64(n)
                    counters.fecRecovered += 1
                    return
                }
                concealChunk(gap, advance: true)
                return
            }
            // A longer gap: conceal up to the last frame, which FEC may still recover.
            concealChunk(min(frame, gap - fecSpan), advance: true)
            return
        }
        // Nothing buffered.
        if inDTX {
            silenceChunk(frame, until: nil)
            return
        }
        // An underrun: a stall (the packets will come, late) or a loss (they will not). Hold:
        // conceal without advancing, so a stall's packets are played rather than discarded; a
        // loss is reconciled when the next packet arrives (above).
        counters.underruns += 1
        holdForMissingPacket(now: now)
        heldSamples += frame
        starvedSamples += frame
        if Nanos(starvedSamples) * 1_000_000_000 / Nanos(config.clockRate) >= config.maxConcealment {
            // Starved: stop concealing, buffer up again from the next packet.
            state = .buffering
            counters.rebuffers += 1
            starvedSamples = 0
            heldSamples = 0
            pendingCount = 0
        }
    }

    /// Conceals a frame without advancing: the missing packet may still arrive and be played.
    private func holdForMissingPacket(now: Nanos) {
        counters.inserted += 1
        concealChunk(config.frameSamples, advance: false)
        adjustment.holdFree = false
        adjustment.insertFrame = false
        belowTargetSince = now
    }

    private func decodePacket(_ seq: Int64, timestamp ts: Int64, now: Nanos, info: inout FrameInfo) {
        let payload = store.payload(of: seq)
        counters.lost += Int(seq - lastPlayedSequence - 1)
        var n: Int
        do {
            n = try decoder.decode(payload, into: pcm)
        } catch {
            n = 0
        }
        n = min(max(n, 0), config.maxPacketSamples)
        if n == 0 {
            // Invalid packet: conceal its duration instead.
            counters.invalid += 1
            n = min(max(decoder.conceal(frameSize: lastPacketSamples, into: pcm), 0), config.maxPacketSamples)
            if n == 0 { n = lastPacketSamples; (pcm.baseAddress!).update(repeating: 0, count: n * config.channels) }
            pendingKind = .concealed
        } else {
            counters.decoded += 1
            pendingKind = .decoded
            lastPacketSamples = n
            if info.sequence == nil {
                info.sequence = seq
                info.bufferDelay = now &- store.arrival(of: seq)
            }
        }
        inDTX = decoder.isDiscontinuousTransmission(payload)
        pendingCount = n
        nextTimestamp = max(nextTimestamp, ts + Int64(n))
        lastPlayedSequence = seq
        store.remove(seq)
    }

    private func concealChunk(_ samples: Int, advance: Bool) {
        var n = min(max(decoder.conceal(frameSize: samples, into: pcm), 0), config.maxPacketSamples)
        if n == 0 {
            n = samples
            pcm.baseAddress!.update(repeating: 0, count: n * config.channels)
        }
        pendingStart = 0
        pendingCount = n
        pendingKind = .concealed
        pendingHeld = !advance
        if advance { nextTimestamp += Int64(n) }
    }

    /// Comfort noise for a DTX gap that ends at `until` (nil: unknown). Adjusts the delay at no
    /// cost: below target the frame is held, a frame or more above target a frame of the gap
    /// is skipped.
    private func silenceChunk(_ samples: Int, until end: Int64?) {
        var n = min(max(decoder.conceal(frameSize: samples, into: pcm), 0), config.maxPacketSamples)
        if n == 0 {
            n = samples
            pcm.baseAddress!.update(repeating: 0, count: n * config.channels)
        }
        pendingCount = n
        pendingKind = .silence
        var advance = Int64(n)
        if adjustment.holdFree {
            advance = 0
            adjustment.holdFree = false
            adjustment.insertFrame = false
            counters.silenceInserted += 1
        } else if adjustment.skipFree {
            let skip = Int64(config.frameSamples)
            if end.map({ $0 - nextTimestamp - advance >= skip }) ?? true {
                advance += skip
                counters.silenceSkipped += 1
            }
            adjustment.skipFree = false
            adjustment.dropPackets = 0
        }
        pendingHeld = advance == 0
        nextTimestamp += advance
    }

    /// Decodes and discards up to `count` due packets of speech (or skips DTX packets) to move
    /// the playout point earlier; only while the packet after each one is already buffered.
    private func dropDuePackets(upTo count: Int) -> Int {
        var dropped = 0
        while dropped < count {
            let seq = lastPlayedSequence + 1
            guard store.contains(seq), store.contains(seq + 1) else { break }
            let ts = store.timestamp(of: seq)
            guard ts <= nextTimestamp, store.timestamp(of: seq + 1) > ts else { break }
            let payload = store.payload(of: seq)
            let dtx = decoder.isDiscontinuousTransmission(payload)
            var n = (try? decoder.decode(payload, into: pcm)) ?? 0
            if n <= 0 {
                counters.invalid += 1
                n = Int(store.timestamp(of: seq + 1) - ts)
            }
            n = min(n, config.maxPacketSamples)
            if dtx { counters.silenceSkipped += 1 } else { counters.dropped += 1 }
            nextTimestamp = max(nextTimestamp, ts + Int64(n))
            lastPlayedSequence = seq
            store.remove(seq)
            dropped += 1
        }
        return dropped
    }

    // MARK: - Time

    /// `now` never goes backwards, whatever the caller passes.
    private func monotonic(_ now: Nanos) -> Nanos {
        if let last = lastNow, now < last { return last }
        lastNow = now
        return now
    }

    private func plausibleArrival(_ arrival: Nanos, now: Nanos) -> Nanos {
        guard arrival <= now else { return now }
        let (age, overflow) = now.subtractingReportingOverflow(arrival)
        return !overflow && age <= config.maxArrivalSkew ? arrival : now
    }

    /// Nanoseconds of `samples` at the clock rate (exact, no overflow for any realistic span).
    private func mediaNanos(_ samples: Int64) -> Nanos {
        let rate = Int64(config.clockRate)
        let (q, r) = samples.quotientAndRemainder(dividingBy: rate)
        return q &* 1_000_000_000 &+ r * 1_000_000_000 / rate
    }

    /// Arrival relative to the anchor minus media time relative to the anchor.
    private func transit(timestamp: Int64, arrival: Nanos) -> Nanos {
        (arrival &- anchorArrival) &- mediaNanos(timestamp &- anchorTimestamp)
    }

    /// The playout offset C: how long after its media time (on the transit scale) the next
    /// packet is needed. The next packet starts at `nextTimestamp`, after the pending samples;
    /// it is needed at the tick whose frame reaches it, which is this one unless the pending
    /// samples fill whole frames (packets longer than a frame).
    private func playoutOffset(now: Nanos) -> Nanos {
        let ticksAhead = Nanos(pendingHeld ? 0 : pendingCount / config.frameSamples)
        let deadline = now &+ ticksAhead &* config.frameDuration
        return (deadline &- anchorArrival) &- mediaNanos(nextTimestamp &- anchorTimestamp)
    }
}
