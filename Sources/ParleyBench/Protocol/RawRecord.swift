// SPDX-License-Identifier: Apache-2.0

import Foundation

/// One line of a runner's output (Benchmarks/Compare/PROTOCOL.md, "Raw records"). Times are
/// milliseconds relative to t0, the moment the runner's first input frame was due.
public enum RawRecord: Sendable, Hashable {
    case runStart(RunStart)
    case turn(Turn)
    case interruption(Interruption)
    case resources(Resources)
    case runEnd(RunEnd)

    public struct RunStart: Codable, Sendable, Hashable {
        public var framework: String
        public var variant: String
        public var version: String
        public var endpointingMs: Double
        public var settings: [String: String]
        public var pid: Int?
        public init(framework: String, variant: String, version: String, endpointingMs: Double,
                    settings: [String: String], pid: Int? = nil) {
            self.framework = framework; self.variant = variant; self.version = version
            self.endpointingMs = endpointingMs; self.settings = settings; self.pid = pid
        }
        enum CodingKeys: String, CodingKey {
            case framework, variant, version, settings, pid
            case endpointingMs = "endpointing_ms"
        }
    }

    public struct Turn: Codable, Sendable, Hashable {
        public var session: Int
        public var turn: Int
        public var speechEndMs: Double
        public var firstAudioMs: Double?
        /// Optional detail a runner can give: ms after the end of speech at which each of its
        /// stages (or milestones) first produced something for this turn.
        public var stages: [String: Double]?
        public init(session: Int, turn: Int, speechEndMs: Double, firstAudioMs: Double?, stages: [String: Double]? = nil) {
            self.session = session; self.turn = turn; self.speechEndMs = speechEndMs; self.firstAudioMs = firstAudioMs
            self.stages = stages
        }
        enum CodingKeys: String, CodingKey {
            case session, turn, stages
            case speechEndMs = "speech_end_ms", firstAudioMs = "first_audio_ms"
        }
    }

    public struct Interruption: Codable, Sendable, Hashable {
        public var session: Int
        public var turn: Int
        public var triggerMs: Double
        public var stopMs: Double?
        public init(session: Int, turn: Int, triggerMs: Double, stopMs: Double?) {
            self.session = session; self.turn = turn; self.triggerMs = triggerMs; self.stopMs = stopMs
        }
        enum CodingKeys: String, CodingKey {
            case session, turn
            case triggerMs = "trigger_ms", stopMs = "stop_ms"
        }
    }

    public struct Resources: Codable, Sendable, Hashable {
        public var sessions: Int
        public var cpuSeconds: Double
        public var wallSeconds: Double
        public var rssMB: Double
        public var rssMBPerSession: Double?
        public init(sessions: Int, cpuSeconds: Double, wallSeconds: Double, rssMB: Double, rssMBPerSession: Double? = nil) {
            self.sessions = sessions; self.cpuSeconds = cpuSeconds; self.wallSeconds = wallSeconds
            self.rssMB = rssMB; self.rssMBPerSession = rssMBPerSession
        }
        enum CodingKeys: String, CodingKey {
            case sessions
            case cpuSeconds = "cpu_s", wallSeconds = "wall_s", rssMB = "rss_mb", rssMBPerSession = "rss_mb_per_session"
        }
    }

    public struct RunEnd: Codable, Sendable, Hashable {
        public var framesLate: Int
        /// Optional breakdown of `framesLate` (Parley gives it): input frames handed over more
        /// than a frame late, frames dropped on a full queue, glitches (gaps) in agent audio.
        public var inputLate: Int?
        public var dropped: Int?
        public var outputGaps: Int?
        public init(framesLate: Int, inputLate: Int? = nil, dropped: Int? = nil, outputGaps: Int? = nil) {
            self.framesLate = framesLate; self.inputLate = inputLate; self.dropped = dropped; self.outputGaps = outputGaps
        }
        enum CodingKeys: String, CodingKey {
            case framesLate = "frames_late", inputLate = "input_late", dropped, outputGaps = "output_gaps"
        }
    }
}

extension Array where Element == RawRecord {
    /// The run's resources record (the last one, if a runner wrote several).
    public var resources: RawRecord.Resources? {
        for record in reversed() { if case .resources(let r) = record { return r } }
        return nil
    }
}

/// Reading and writing raw records as JSON lines.
public enum RawRecordCodec {
    public struct DecodeError: Error, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "raw record line \(line): \(message)" }
    }

    private struct Tag: Decodable { var type: String }

    /// Decodes one line; `line` is only used in the error.
    public static func decode(_ text: String, line: Int) throws -> RawRecord {
        let data = Data(text.utf8)
        let decoder = JSONDecoder()
        let tag: Tag
        do { tag = try decoder.decode(Tag.self, from: data) } catch {
            throw DecodeError(line: line, message: "not a JSON object with a \"type\"")
        }
        do {
            switch tag.type {
            case "run_start": return .runStart(try decoder.decode(RawRecord.RunStart.self, from: data))
            case "turn": return .turn(try decoder.decode(RawRecord.Turn.self, from: data))
            case "interruption": return .interruption(try decoder.decode(RawRecord.Interruption.self, from: data))
            case "resources": return .resources(try decoder.decode(RawRecord.Resources.self, from: data))
            case "run_end": return .runEnd(try decoder.decode(RawRecord.RunEnd.self, from: data))
            default: throw DecodeError(line: line, message: "unknown record type \"\(tag.type)\"")
            }
        } catch let e as DecodeError {
            throw e
        } catch let DecodingError.keyNotFound(key, _) {
            throw DecodeError(line: line, message: "\(tag.type): missing \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw DecodeError(line: line, message: "\(tag.type): wrong type at \"\(ctx.codingPath.map(\.stringValue).joined(separator: "."))\"")
        } catch {
            throw DecodeError(line: line, message: "\(tag.type): \(error)")
        }
    }

    /// Decodes a whole stream, skipping blank lines and lines that do not start with `{` (a
    /// framework's own log output on stdout).
    public static func decodeAll(_ text: String) throws -> [RawRecord] {
        var out: [RawRecord] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("{") else { continue }
            out.append(try decode(trimmed, line: i + 1))
        }
        return out
    }

    public static func encode(_ record: RawRecord) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func line<T: Encodable>(_ type: String, _ value: T) -> String {
            let body = String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
            return "{\"type\":\"\(type)\"," + body.dropFirst()
        }
        switch record {
        case .runStart(let r): return line("run_start", r)
        case .turn(let r): return line("turn", r)
        case .interruption(let r): return line("interruption", r)
        case .resources(let r): return line("resources", r)
        case .runEnd(let r): return line("run_end", r)
        }
    }
}
