// SPDX-License-Identifier: Apache-2.0

import Foundation

/// What the model is told about a tool: its name, what it does, and its parameters as a JSON
/// Schema object (the text of it, passed to the provider unchanged).
public struct ToolDefinition: Sendable, Hashable {
    public var name: String
    public var description: String
    public var parametersSchemaJSON: String

    public init(name: String, description: String,
                parametersSchemaJSON: String = #"{"type": "object", "properties": {}}"#) {
        self.name = name
        self.description = description
        self.parametersSchemaJSON = parametersSchemaJSON
    }
}

/// A function the LLM may call. Runs off the pipeline loop (an LLM stage awaits it on its own
/// task); what it returns (usually JSON text) goes back to the model as the tool's result.
/// Throwing is fine: the model is then told the call failed, and why.
public protocol AgentTool: Sendable {
    var definition: ToolDefinition { get }
    func call(argumentsJSON: String) async throws -> String
}

/// A tool from a Swift closure — the application-side API:
/// ```swift
/// toolbox.add(ClosureTool(name: "get_time", description: "The current time") { _ in "\"12:00\"" })
/// ```
public struct ClosureTool: AgentTool {
    public let definition: ToolDefinition
    private let body: @Sendable (String) async throws -> String

    public init(name: String, description: String,
                parametersSchemaJSON: String = #"{"type": "object", "properties": {}}"#,
                _ body: @escaping @Sendable (String) async throws -> String) {
        definition = ToolDefinition(name: name, description: description, parametersSchemaJSON: parametersSchemaJSON)
        self.body = body
    }

    public func call(argumentsJSON: String) async throws -> String { try await body(argumentsJSON) }
}

/// The tools of one session and how many model → tools → model rounds a single user turn may
/// take (`maxSteps`), so a model that keeps calling tools cannot loop forever.
public struct Toolbox: Sendable {
    public private(set) var tools: [any AgentTool]
    public var maxSteps: Int

    public init(tools: [any AgentTool] = [], maxSteps: Int = 3) {
        self.tools = tools
        self.maxSteps = maxSteps
    }

    public mutating func add(_ tool: any AgentTool) {
        tools.removeAll { $0.definition.name == tool.definition.name }
        tools.append(tool)
    }

    public var isEmpty: Bool { tools.isEmpty }
    public var definitions: [ToolDefinition] { tools.map(\.definition) }

    /// Runs `call` and returns the text for the model: the tool's result, or an error line the
    /// model can act on (unknown tool, the tool's failure). Never throws.
    public func run(_ call: ToolCall) async -> String {
        guard let tool = tools.first(where: { $0.definition.name == call.name }) else {
            return #"{"error": \#(jsonQuoted("unknown tool \(call.name)"))}"#
        }
        do {
            return try await tool.call(argumentsJSON: call.argumentsJSON)
        } catch {
            return #"{"error": \#(jsonQuoted("\(error)"))}"#
        }
    }
}
