// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import Testing

/// The JSON lines `--events` writes for the conversation parse as JSON and carry what was said.
@Suite("event JSON lines")
struct EventJSONTests {
    static func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("a user transcript line")
    func userTranscript() throws {
        let t = TranscriptFrame(text: "Say \"hi\"\n", isFinal: true, segmentID: "s1", role: .user,
                                start: 1_500_000_000, end: 2_250_000_000)
        let o = try Self.object(t.jsonLine)
        #expect(o["event"] as? String == "transcript" && o["role"] as? String == "user")
        #expect(o["text"] as? String == "Say \"hi\"\n" && o["final"] as? Bool == true)
        #expect(o["start_ms"] as? Double == 1500 && o["end_ms"] as? Double == 2250)
    }

    @Test("an agent text line keeps its reply id")
    func agentText() throws {
        let o = try Self.object(TextFrame(text: "Paris.", role: .agent, replyID: "llm:openai-1").jsonLine)
        #expect(o["role"] as? String == "agent" && o["text"] as? String == "Paris.")
        #expect(o["reply_id"] as? String == "llm:openai-1")
        #expect(try Self.object(TextFrame(text: "x", role: .agent).jsonLine)["reply_id"] == nil)
    }
}
