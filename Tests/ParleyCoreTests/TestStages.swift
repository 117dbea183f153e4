// SPDX-License-Identifier: Apache-2.0

@testable import ParleyCore

/// A shared, ordered record of what test stages saw (stages run on one loop, so no locking).
final class EventLog {
    var entries: [String] = []
    func add(_ s: String) { entries.append(s) }
}

/// Records every frame and control it sees, then forwards it.
final class RecordingStage: Stage {
    let name: String
    let log: EventLog
    var caps: AudioCaps
    var acceptsKinds: FrameKinds
    var onInterrupt: ((StageContext) -> Void)?
    var interruptions: [Interruption] = []
    var seen: [Frame] = []

    var accepts: FrameKinds { acceptsKinds }
    var inputCaps: AudioCaps { caps }

    init(_ name: String, log: EventLog, caps: AudioCaps = .any, accepts: FrameKinds = .all) {
        self.name = name
        self.log = log
        self.caps = caps
        acceptsKinds = accepts
    }

    func process(_ frame: Frame, _ context: StageContext) {
        seen.append(frame)
        switch frame {
        case .audio(let a): log.add("\(name):audio#\(a.sequence)")
        case .text(let t): log.add("\(name):text:\(t.text)")
        default: log.add("\(name):\(frame.kind)")
        }
        context.emit(frame)
    }

    func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        log.add("\(name):\(frame.name)")
        return .forward
    }

    func interrupted(_ interruption: Interruption, _ context: StageContext) {
        interruptions.append(interruption)
        log.add("\(name):interrupted")
        onInterrupt?(context)
    }
}

/// Builds audio frames for tests.
struct FrameFactory {
    let format: AudioFormat
    let pool: AudioBufferPool
    var sequence: UInt64 = 0

    init(format: AudioFormat = .standard) {
        self.format = format
        pool = AudioBufferPool(bufferCapacity: format.samplesPerFrameAllChannels, preallocate: 4)
    }

    mutating func audio(role: MediaRole = .user, value: Int16 = 0) -> Frame {
        let b = AudioBuffer(capacity: format.samplesPerFrameAllChannels)
        b.storage.update(repeating: value, count: format.samplesPerFrameAllChannels)
        let f = AudioFrame(buffer: b, format: format, timestamp: Nanos(sequence) * format.frameDurationNanos,
                           sequence: sequence, role: role)
        sequence += 1
        return .audio(f)
    }

    /// A sine of `frequency` Hz at `amplitude` (0...1), continuing phase across frames.
    mutating func sine(_ frequency: Double, amplitude: Double = 0.5) -> Frame {
        let n = format.samplesPerFrame
        let ch = format.channels
        let b = AudioBuffer(capacity: n * ch)
        for i in 0..<n {
            let t = Double(Int(sequence) * n + i) / Double(format.sampleRate)
            let v = Int16(amplitude * 32767 * sin(2 * .pi * frequency * t))
            for c in 0..<ch { b.storage[i * ch + c] = v }
        }
        let f = AudioFrame(buffer: b, format: format, timestamp: Nanos(sequence) * format.frameDurationNanos,
                           sequence: sequence)
        sequence += 1
        return .audio(f)
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension Frame {
    var audio: AudioFrame? { if case .audio(let a) = self { return a }; return nil }
    var control: ControlFrame? { if case .control(let c) = self { return c }; return nil }
}
