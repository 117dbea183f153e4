// SPDX-License-Identifier: Apache-2.0

import ParleyAgent
import ParleyCore
import Testing

/// `agent.tools`: webhook tools declared in YAML, validated at their file:line.
@Suite("tool config")
struct ToolConfigTests {
    static func parse(_ agent: String) throws -> AgentConfig {
        try AgentConfig.parse(yaml: "agent:\n\(agent)\npipeline: { llm: echo }\n", file: "tools.yaml",
                              environment: ["WEATHER_TOKEN": "s3cret"])
    }

    @Test("a webhook tool with a YAML JSON-schema becomes a tool definition")
    func parsesTools() throws {
        let config = try Self.parse("""
              max_tool_steps: 4
              tools:
                - name: get_weather
                  description: The weather now
                  url: https://tools.example.com/weather
                  headers: { Authorization: "Bearer ${WEATHER_TOKEN}" }
                  timeout_ms: 2500
                  parameters:
                    type: object
                    properties: { city: { type: string }, days: { type: integer, maximum: 7 } }
                    required: [city]
            """)
        let box = config.agent.toolbox()
        #expect(box.maxSteps == 4)
        let d = try #require(box.definitions.first)
        #expect(d.name == "get_weather" && d.description == "The weather now")
        #expect(d.parametersSchemaJSON == #"{"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer", "maximum": 7}}, "required": ["city"]}"#)
        #expect(config.agent.tools.first?.headers["Authorization"] == "Bearer s3cret")
        #expect(config.agent.tools.first?.timeoutMs == 2500)
    }

    @Test("bad tools are refused at their line", arguments: [
        ("    - { name: \"bad name\", description: d, url: https://x.example }", "tools.yaml:3:", "is not a valid tool name"),
        ("    - { name: t, description: d, url: ftp://x.example }", "tools.yaml:3:", "is not an http(s) URL"),
        ("    - { name: t, description: d, url: https://x.example, verb: GET }", "tools.yaml:3:", "verb"),
        ("    - { name: t, url: https://x.example }", "tools.yaml:3:", "description"),
        ("    - { name: t, description: d, url: https://x.example }\n    - { name: t, description: e, url: https://y.example }",
         "tools.yaml:4:", "is declared twice"),
    ])
    func refusesBadTools(entry: String, location: String, problem: String) throws {
        do {
            _ = try Self.parse("  tools:\n\(entry)")
            Issue.record("accepted: \(entry)")
        } catch {
            let message = "\(error)"
            #expect(message.contains(location), "\(message)")
            #expect(message.contains(problem), "\(message)")
        }
    }

    @Test("application tools join the configured ones; a name given twice keeps the application's")
    func applicationTools() throws {
        let config = try Self.parse("""
              tools:
                - { name: get_time, description: from config, url: "https://tools.example.com/time" }
            """)
        let box = config.agent.toolbox(adding: [ClosureTool(name: "get_time", description: "from Swift") { _ in "{}" },
                                                ClosureTool(name: "book", description: "Books") { _ in "{}" }])
        #expect(box.definitions.map(\.name) == ["get_time", "book"])
        #expect(box.definitions.first?.description == "from Swift")
    }
}
