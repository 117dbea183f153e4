// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Reassembles streamed tool calls: fragments carry an `index`; the first fragment of an index
/// brings the call's `id` and function name, later ones append to the JSON arguments. The
/// calls are complete when the response finishes (`finish_reason: "tool_calls"`, or any finish:
/// some compatible servers report "stop").
struct ToolCallAccumulator {
    private var calls: [Int: ToolCall] = [:]

    var isEmpty: Bool { calls.isEmpty }

    mutating func add(_ delta: ChatCompletionChunk.ToolCallDelta) {
        // A server that omits `index` streams one call at a time: fragments belong to the last one.
        let index = delta.index ?? calls.keys.max() ?? 0
        var call = calls[index] ?? ToolCall(id: "", name: "", argumentsJSON: "")
        if let id = delta.id, !id.isEmpty { call.id = id }
        if let name = delta.function?.name { call.name += name }
        if let arguments = delta.function?.arguments { call.argumentsJSON += arguments }
        calls[index] = call
    }

    /// The completed calls in index order; empties the accumulator.
    mutating func finish() -> [ToolCall] {
        defer { calls.removeAll() }
        return calls.sorted { $0.key < $1.key }.map(\.value)
    }
}
