// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
@testable import ParleyOpenAIPlugins
import Testing

/// The pieces under the stage, without a network: SSE framing cut at every byte, sentence
/// cutting, tool-call reassembly, history trimming.
struct StreamParsingTests {
    @Test func sseEventsSurviveAnySplit() {
        let body = Array("data: {\"a\": \"é✓\"}\r\n\n: comment\nevent: x\ndata: one\ndata: two\n\ndata:[DONE]\n\n".utf8)
        for cut in 0...body.count {
            var parser = ServerSentEventParser()
            let events = parser.feed(body[..<cut]) + parser.feed(body[cut...])
            #expect(events == ["{\"a\": \"é✓\"}", "one\ntwo", "[DONE]"], "cut at \(cut)")
        }
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("data: last".utf8)).isEmpty)
        #expect(parser.finish() == "last")
    }

    @Test func sentencesAreCutAtTheirEnds() {
        var c = SentenceChunker()
        var out: [String] = []
        for piece in ["Hel", "lo. It is 3", ".5 de", "grees! Visit example.com", " now?", " Yes\nNo", " more"] {
            out += c.add(piece)
        }
        #expect(out == ["Hello.", "It is 3.5 degrees!", "Visit example.com now?", "Yes"])
        #expect(c.finish() == "No more")
        #expect(c.finish() == nil)
    }

    @Test func toolCallsAreReassembledByIndex() {
        var acc = ToolCallAccumulator()
        typealias D = ChatCompletionChunk.ToolCallDelta
        typealias F = ChatCompletionChunk.FunctionDelta
        acc.add(D(index: 1, id: "b", function: F(name: "second", arguments: "")))
        acc.add(D(index: 0, id: "a", function: F(name: "first", arguments: "{\"x\"")))
        acc.add(D(index: 1, id: nil, function: F(name: nil, arguments: "{}")))
        acc.add(D(index: 0, id: nil, function: F(name: nil, arguments: ": 1}")))
        #expect(acc.finish() == [ToolCall(id: "a", name: "first", argumentsJSON: "{\"x\": 1}"),
                                 ToolCall(id: "b", name: "second", argumentsJSON: "{}")])
        #expect(acc.isEmpty)
    }

    @Test func historyKeepsTheLastTurns() {
        let h = Conversation(instructions: "sys", maxTurns: 2)
        h.appendUser("u1"); h.recordReply("r1", text: "a1")
        h.appendUser("u2"); h.recordReply("r2", text: "")
        h.appendUser("u3"); h.recordReply("r3", text: "a3")
        #expect(h.promptMessages.map(\.content) == ["sys", "u2", "u3", "a3"])
    }

    @Test func providerErrorsAreReadInBothShapes() {
        #expect(ProviderError.parse(Data(#"{"error": {"message": "m", "type": "t", "code": 42}}"#.utf8))?.description == "m (42)")
        #expect(ProviderError.parse(Data(#"{"error": "model not found"}"#.utf8))?.description == "model not found")
        #expect(ProviderError.parse(Data("<html>".utf8)) == nil)
    }
}
