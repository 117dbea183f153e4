// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing
@testable import ParleyCore

// MARK: Helpers

private let file = "Examples/bad.yaml"

private func parse(_ yaml: String, environment: [String: String] = [:]) throws -> ConfigNode {
    try ConfigLoader.parse(yaml: yaml, file: file, environment: environment)
}

/// The one-line message a failing operation produces, or nil if it did not fail with a `ConfigError`.
private func message(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as ConfigError {
        return error.description
    } catch {
        return "unexpected \(type(of: error)): \(error)"
    }
}

private func node(_ root: ConfigNode, _ path: String...) throws -> ConfigNode {
    var current = root
    for key in path {
        current = try current.require(key)
    }
    return current
}

// MARK: Loading and navigation

@Suite("Config loading")
struct ConfigLoadingTests {
    static let exampleYAML = """
        livekit: { url: ${LIVEKIT_URL}, api_key: ${LIVEKIT_API_KEY:-devkey}, api_secret: ${LIVEKIT_API_SECRET} }
        agent:
          name: support-agent
          instructions: "You are a helpful voice assistant."
        pipeline:
          vad: { provider: webrtc, min_silence_ms: 300 }
          stt: deepgram/nova-3:en
        turn: { endpointing_min_ms: 400, resume_false_interruption: true }
        """

    @Test func operatorExampleParsesWithInterpolationInFlowMappings() throws {
        let root = try parse(Self.exampleYAML, environment: [
            "LIVEKIT_URL": "wss://lk.example:7880",
            "LIVEKIT_API_SECRET": "s3cr3t",
        ])
        #expect(root.keys == ["livekit", "agent", "pipeline", "turn"])
        let livekit = try node(root, "livekit")
        #expect(livekit.keys == ["url", "api_key", "api_secret"])
        #expect(try livekit.require("url").string() == "wss://lk.example:7880")
        #expect(try livekit.require("api_key").string() == "devkey")
        #expect(try livekit.require("api_secret").string() == "s3cr3t")
        #expect(try node(root, "agent", "name").string() == "support-agent")
        #expect(try node(root, "agent", "instructions").string() == "You are a helpful voice assistant.")
        #expect(try node(root, "pipeline", "stt").string() == "deepgram/nova-3:en")
        #expect(try node(root, "pipeline", "vad", "provider").oneOf(["webrtc", "silero"]) == "webrtc")

        let silence = try node(root, "pipeline", "vad", "min_silence_ms")
        #expect(try silence.int(in: 0...10000) == 300)
        #expect(silence.keyPath == "pipeline.vad.min_silence_ms")
        #expect(silence.location == SourceLocation(file: file, line: 6, column: 44))
        #expect(try root.require("turn").int("endpointing_min_ms", default: 0) == 400)
        #expect(try root.require("turn").bool("resume_false_interruption", default: false))
        let turnEntries = try root.require("turn").mapping()
        #expect(turnEntries.map(\.keyLocation.column) == [9, 34])
        #expect(livekit.location.description == "\(file):1:10")
    }

    @Test func keyOrderIsPreservedAsWritten() throws {
        let root = try parse("""
            zeta: 1
            alpha: 2
            mid: { y: 1, b: 2, x: 3 }
            """)
        #expect(root.keys == ["zeta", "alpha", "mid"])
        #expect(root["mid"]?.keys == ["y", "b", "x"])
        #expect(root["missing"] == nil)
        #expect(root["zeta"]?["anything"] == nil)
        #expect(try root.require("zeta").keys.isEmpty)
    }

    @Test func oddKeysAreBracketedInKeyPaths() throws {
        let root = try parse("headers: { \"X-Trace.Id\": abc }")
        #expect(message { _ = try node(root, "headers", "X-Trace.Id").int() }
            == "\(file):1:26: headers[\"X-Trace.Id\"]: \"abc\" is not an integer (allowed: integer)")
    }

    @Test func sequenceElementsGetIndexedKeyPaths() throws {
        let root = try parse("""
            tools:
              - name: weather
                url: https://weather.example
              - name: search
                url: 42
            """)
        let tools = try root.require("tools").sequence()
        #expect(tools.count == 2)
        #expect(tools[0].keyPath == "tools[0]")
        let url = try tools[1].require("url")
        #expect(message { throw url.error("is not an https URL", allowed: "https:// URL") }
            == "\(file):5:10: tools[1].url: \"42\" is not an https URL (allowed: https:// URL)")
    }

    @Test func anchorsAliasesAndMergeKeysResolve() throws {
        let root = try parse("""
            defaults: &defaults
              min_silence_ms: 300
              provider: webrtc
            pipeline:
              vad:
                <<: *defaults
                provider: silero
              backup: *defaults
            """)
        let vad = try node(root, "pipeline", "vad")
        #expect(vad.keys == ["min_silence_ms", "provider"])
        #expect(try vad.require("provider").string() == "silero")
        #expect(try vad.require("min_silence_ms").keyPath == "pipeline.vad.min_silence_ms")
        let backup = try node(root, "pipeline", "backup")
        #expect(try backup.require("provider").string() == "webrtc")
        // The key path says where the value is used; the location says where it is written.
        #expect(message { _ = try backup.int("min_silence_ms", default: 0, in: 0...100) }
            == "\(file):2:19: pipeline.backup.min_silence_ms: \"300\" is out of range (allowed: integer in 0...100)")
    }

    @Test func emptyDocumentIsNullRootAndReportsMissingKeys() throws {
        let root = try parse("")
        #expect(root.isNull)
        #expect(try root.int("port", default: 7880) == 7880)
        #expect(message { _ = try root.require("agent") } == "\(file):1:1: agent: missing required key")
    }

    @Test func loadReadsFileAndLabelsErrorsWithItsPath() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("parley-config-\(UUID().uuidString).yaml").path
        try "agent:\n  name: 5\n  port: high\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let root = try ConfigLoader.load(path: path, environment: [:])
        #expect(try node(root, "agent", "name").string() == "5")
        #expect(message { _ = try root.require("agent").int("port", default: 1) }
            == "\(path):3:9: agent.port: \"high\" is not an integer (allowed: integer)")
    }

    @Test func byteOrderMarkAndWindowsLineEndingsKeepPositions() throws {
        let root = try parse("\u{FEFF}agent:\r\n  name: a\r\n  port: x\r\n")
        #expect(message { _ = try root.require("agent").int("port", default: 0) }
            == "\(file):3:9: agent.port: \"x\" is not an integer (allowed: integer)")
        #expect(message { _ = try parse("\u{FEFF}a: 1\r\nb: 2\r\na: 3\r\n") }
            == "\(file):3:1: a: duplicate key, first defined at 1:1 (allowed: each key once per mapping)")
    }

    @Test func directoryCannotBeRead() {
        let directory = FileManager.default.temporaryDirectory.path
        #expect(message { _ = try ConfigLoader.load(path: directory, environment: [:]) }
            == "\(directory): cannot read file (allowed: path to an existing, readable file)")
    }

    @Test func missingFileCannotBeRead() {
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader.load(path: "Examples/does-not-exist.yaml", environment: [:])
        }
        #expect(error?.problem == "cannot read file")
        #expect(error?.description
            == "Examples/does-not-exist.yaml: cannot read file (allowed: path to an existing, readable file)")
    }
}

// MARK: Typed reads

@Suite("Typed reads")
struct TypedReadTests {
    @Test func notAnIntegerNamesFileLineKeyPathValueAndRange() throws {
        let root = try parse("""
            pipeline:
              vad:
                provider: webrtc
                min_silence_ms: abc
            """)
        #expect(message { _ = try root.require("pipeline").require("vad").int("min_silence_ms", default: 300, in: 0...10000) }
            == "Examples/bad.yaml:4:21: pipeline.vad.min_silence_ms: \"abc\" is not an integer (allowed: integer in 0...10000)")
    }

    @Test(arguments: ["\"3.5\"", "\"\"", "abc", "1e3", "0x10", "12ms"])
    func intRejectsNonIntegers(_ written: String) throws {
        let root = try parse("n: \(written)")
        let shown = written.hasPrefix("\"") ? written : "\"\(written)\""
        #expect(message { _ = try root.require("n").int() }
            == "\(file):1:4: n: \(shown) is not an integer (allowed: integer)")
    }

    @Test func intAcceptsQuotedAndSignedIntegers() throws {
        let root = try parse("a: \"300\"\nb: '-12'\nc: \" 42 \"\nd: +7")
        #expect(try root.int("a", default: 0) == 300)
        #expect(try root.int("b", default: 0) == -12)
        #expect(try root.int("c", default: 0) == 42)
        #expect(try root.int("d", default: 0) == 7)
    }

    @Test func intOutOfRangeAndOverflow() throws {
        let root = try parse("timeout_ms: 20000\nhuge: 99999999999999999999")
        #expect(message { _ = try root.int("timeout_ms", default: 0, in: 0...10000) }
            == "\(file):1:13: timeout_ms: \"20000\" is out of range (allowed: integer in 0...10000)")
        #expect(message { _ = try root.require("huge").int() }
            == "\(file):2:7: huge: \"99999999999999999999\" is out of range (allowed: integer in -9223372036854775808...9223372036854775807)")
    }

    @Test func doubleParsesDecimalsAndRejectsOthers() throws {
        let root = try parse("a: .5\nb: 1e-3\nc: 2\nthreshold: 1.5\nbad: nan")
        #expect(try root.double("a", default: 0) == 0.5)
        #expect(try root.double("b", default: 0) == 0.001)
        #expect(try root.double("c", default: 0) == 2)
        #expect(try root.double("absent", default: 0.25) == 0.25)
        #expect(message { _ = try root.double("threshold", default: 0, in: 0...1) }
            == "\(file):4:12: threshold: \"1.5\" is out of range (allowed: number in 0.0...1.0)")
        #expect(message { _ = try root.require("bad").double() }
            == "\(file):5:6: bad: \"nan\" is not a number (allowed: number)")
    }

    @Test(arguments: [("true", true), ("YES", true), ("On", true), ("false", false), ("no", false), ("OFF", false), ("\"yes\"", true)])
    func boolAcceptsYamlSpellings(_ written: String, _ expected: Bool) throws {
        #expect(try parse("flag: \(written)").bool("flag", default: !expected) == expected)
    }

    @Test func boolRejectsOtherWords() throws {
        let root = try parse("enabled: maybe")
        #expect(message { _ = try root.bool("enabled", default: false) }
            == "\(file):1:10: enabled: \"maybe\" is not a boolean (allowed: true, false, yes, no, on, off)")
    }

    @Test func oneOfSuggestsTheClosestValue() throws {
        let root = try parse("provider: webrtx")
        #expect(message { _ = try root.require("provider").oneOf(["webrtc", "silero"]) }
            == "\(file):1:11: provider: \"webrtx\" is not one of the supported values; did you mean \"webrtc\"? (allowed: webrtc, silero)")
    }

    @Test func wrongKindShowsPlaceholderValue() throws {
        let root = try parse("pipeline: { vad: { provider: webrtc } }\nlist: [1, 2]")
        #expect(message { _ = try node(root, "pipeline", "vad").int() }
            == "\(file):1:18: pipeline.vad: <mapping> is not an integer (allowed: integer)")
        #expect(message { _ = try root.require("list").mapping() }
            == "\(file):2:7: list: <sequence> is not a mapping (allowed: mapping)")
        #expect(message { _ = try root.require("pipeline").sequence() }
            == "\(file):1:11: pipeline: <mapping> is not a sequence (allowed: sequence)")
    }

    @Test func defaultsApplyToAbsentNullAndEmptySections() throws {
        let root = try parse("turn:\n  endpointing_min_ms: ~\naudio:\nname: x")
        let turn = try root.require("turn")
        #expect(try turn.int("endpointing_min_ms", default: 400) == 400)
        #expect(try turn.int("missing", default: 7) == 7)
        #expect(try root.require("audio").bool("enabled", default: true))
        #expect(try root.string("agent", default: nil) == nil)
        #expect(try root.string("name", default: "y") == "x")
        #expect(message { _ = try root.require("name").int("a", default: 1) }
            == "\(file):4:7: name: \"x\" is not a mapping (allowed: mapping)")
        #expect(message { _ = try root.require("audio").string() }
            == "\(file):3:7: audio: <null> is not a string (allowed: string)")
    }

    @Test func missingRequiredKeyPointsAtTheMapping() throws {
        let root = try parse("pipeline:\n  vad:\n    min_silence_ms: 300")
        let vad = try node(root, "pipeline", "vad")
        #expect(message { _ = try vad.require("provider") }
            == "\(file):3:5: pipeline.vad.provider: missing required key")
        #expect(message { _ = try vad.require("provider", allowed: "webrtc, silero") }
            == "\(file):3:5: pipeline.vad.provider: missing required key (allowed: webrtc, silero)")
    }

    @Test func unknownKeysAreNamedWithAllowedListAndSuggestion() throws {
        let root = try parse("pipeline:\n  vad:\n    provider: webrtc\n    min_silense_ms: 300")
        let vad = try node(root, "pipeline", "vad")
        #expect(message { try vad.rejectUnknownKeys(allowed: ["provider", "min_silence_ms"]) }
            == "\(file):4:5: pipeline.vad: \"min_silense_ms\" is not a known key; did you mean \"min_silence_ms\"? (allowed: provider, min_silence_ms)")
        #expect(message { try root.rejectUnknownKeys(allowed: ["agent", "turn"]) }
            == "\(file):1:1: \"pipeline\" is not a known key (allowed: agent, turn)")
        try vad.rejectUnknownKeys(allowed: ["provider", "min_silence_ms", "min_silense_ms"])
    }
}

// MARK: Structural errors

@Suite("Structural errors")
struct StructuralErrorTests {
    @Test func duplicateKeyIsReportedAtTheSecondOccurrence() throws {
        #expect(message { _ = try parse("agent:\n  name: a\n  instructions: hi\n  name: b") }
            == "\(file):4:3: agent.name: duplicate key, first defined at 2:3 (allowed: each key once per mapping)")
    }

    @Test func duplicateKeyInFlowMappingAndQuotedForms() throws {
        #expect(message { _ = try parse("turn: { a: 1, b: 2, a: 3 }") }
            == "\(file):1:21: turn.a: duplicate key, first defined at 1:9 (allowed: each key once per mapping)")
        #expect(message { _ = try parse("\"name\": a\nname: b") }
            == "\(file):2:1: name: duplicate key, first defined at 1:1 (allowed: each key once per mapping)")
        #expect(message { _ = try parse("k: 1\nk: 2\nk: 3") }
            == "\(file):2:1: k: duplicate key, first defined at 1:1 (allowed: each key once per mapping)")
    }

    @Test func firstDuplicateInDocumentOrderWins() throws {
        // Yams would flag the inner `x` first; the operator reads top-down.
        #expect(message { _ = try parse("a:\n  x: 1\na:\n  x: 3\n  x: 4") }
            == "\(file):3:1: a: duplicate key, first defined at 1:1 (allowed: each key once per mapping)")
    }

    @Test func yamlSyntaxErrorCarriesYamsLocation() throws {
        #expect(message { _ = try parse("agent:\n  name: support\n  instructions: [unclosed\nturn: {}") }
            == "\(file):4:5: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at 3:17)")
        #expect(message { _ = try parse("a: 1\n---\nb: 2") }
            == "\(file):2:1: invalid YAML: but found another document (expected a single document in the stream at 1:1)")
    }

    @Test func nonStringKeysAreRejected() throws {
        #expect(message { _ = try parse("agent:\n  ? [a, b]\n  : 1") }
            == "\(file):2:5: agent: <sequence> is not allowed as a key (allowed: string keys)")
        #expect(message { _ = try parse("~: 1") }
            == "\(file):1:1: <null> is not allowed as a key (allowed: string keys)")
        #expect(message { _ = try parse("{ { a: 1 }: x }") }
            == "\(file):1:3: <mapping> is not allowed as a key (allowed: string keys)")
        // Scalar keys are names whatever YAML would type them as.
        #expect(try parse("404: not found\non: push").keys == ["404", "on"])
    }

    @Test func errorDescriptionOmitsAbsentParts() {
        #expect(ConfigError(location: nil, keyPath: "", problem: "boom").description == "boom")
        #expect(ConfigError(location: nil, keyPath: "a.b", value: "\"x\"", problem: "is bad\nreally", allowed: "good").description
            == "a.b: \"x\" is bad really (allowed: good)")
    }
}

// MARK: Environment interpolation

@Suite("Environment interpolation")
struct InterpolationTests {
    @Test func severalReferencesDefaultsAndEscapes() throws {
        let root = try parse(
            "url: \"wss://${HOST}:${PORT:-7880}/rtc?x=$$y&cost=5$\"\nliteral: $${NOT_A_VAR}\nempty: ${EMPTY:-fallback}|${EMPTY}|",
            environment: ["HOST": "lk.internal", "EMPTY": ""]
        )
        #expect(try root.string("url", default: nil) == "wss://lk.internal:7880/rtc?x=$y&cost=5$")
        #expect(try root.string("literal", default: nil) == "${NOT_A_VAR}")
        #expect(try root.string("empty", default: nil) == "fallback||")
    }

    @Test func interpolationHappensBeforeTyping() throws {
        let root = try parse("port: ${PORT:-7880}\nratio: ${RATIO}\non: ${FLAG:-yes}", environment: ["RATIO": "0.25"])
        #expect(try root.int("port", default: 0, in: 1...65535) == 7880)
        #expect(try root.double("ratio", default: 0) == 0.25)
        #expect(try root.bool("on", default: false))
        let overridden = try parse("port: ${PORT:-7880}", environment: ["PORT": "x80"])
        #expect(message { _ = try overridden.int("port", default: 0) }
            == "\(file):1:7: port: \"x80\" is not an integer (allowed: integer)")
    }

    @Test func undefinedVariableIsNamedAtTheScalar() throws {
        #expect(message { _ = try parse("livekit:\n  url: ${LIVEKIT_URL}") }
            == "\(file):2:8: livekit.url: \"${LIVEKIT_URL}\" uses environment variable LIVEKIT_URL, which is not set (allowed: set LIVEKIT_URL, or give a default with ${LIVEKIT_URL:-default})")
        #expect(message { _ = try parse("livekit: { api_secret: ${LIVEKIT_API_SECRET} }") }
            == "\(file):1:24: livekit.api_secret: <redacted> uses environment variable LIVEKIT_API_SECRET, which is not set (allowed: set LIVEKIT_API_SECRET, or give a default with ${LIVEKIT_API_SECRET:-default})")
    }

    @Test func malformedReferencesAreRejected() throws {
        let forms = "${NAME}, ${NAME:-default}, or $$ for a literal $"
        #expect(message { _ = try parse("name: \"abc ${OOPS\"") }
            == "\(file):1:7: name: \"abc ${OOPS\" has a ${ without a closing } (allowed: \(forms))")
        #expect(message { _ = try parse("name: ${X:?required}") }
            == "\(file):1:7: name: \"${X:?required}\" uses an unsupported ${...} form (allowed: \(forms))")
        #expect(message { _ = try parse("name: ${1X}") }
            == "\(file):1:7: name: \"${1X}\" has an invalid variable name \"1X\" (allowed: names of letters, digits and _ not starting with a digit, in \(forms))")
    }

    @Test func interpolatorRulesDirectly() throws {
        let env = ["A": "1", "B": "", "SECRET_KEY": "k"]
        #expect(try EnvironmentInterpolation.interpolate("${A}${A}-${B:-d}-${C:-}", environment: env).value == "11-d-")
        #expect(try EnvironmentInterpolation.interpolate("$A $ $$ ${A}", environment: env).value == "$A $ $ 1")
        #expect(try EnvironmentInterpolation.interpolate("x${SECRET_KEY}", environment: env).variables == ["SECRET_KEY"])
        #expect(throws: EnvironmentInterpolation.Failure.undefined(name: "C")) {
            try EnvironmentInterpolation.interpolate("${C}", environment: env)
        }
        #expect(throws: EnvironmentInterpolation.Failure.unsupported) {
            try EnvironmentInterpolation.interpolate("${A:-${B}}", environment: env)
        }
        #expect(throws: EnvironmentInterpolation.Failure.invalidName("")) {
            try EnvironmentInterpolation.interpolate("${}", environment: env)
        }
    }
}

// MARK: Redaction and truncation

@Suite("Redaction")
struct RedactionTests {
    @Test func sensitiveKeysNeverPrintTheirValue() throws {
        let root = try parse("auth_token: abc\ndb: { password: hunter2 }\nlivekit: { api_key: \"12\" }")
        #expect(message { _ = try root.require("auth_token").int() }
            == "\(file):1:13: auth_token: <redacted> is not an integer (allowed: integer)")
        #expect(message { _ = try node(root, "db", "password").bool() }
            == "\(file):2:17: db.password: <redacted> is not a boolean (allowed: true, false, yes, no, on, off)")
        #expect(message { _ = try node(root, "livekit", "api_key").oneOf(["a"]) }
            == "\(file):3:21: livekit.api_key: <redacted> is not one of the supported values (allowed: a)")
    }

    @Test func valuesBuiltFromSensitiveVariablesAreRedacted() throws {
        let root = try parse("url: \"wss://u:${LK_PASSWORD}@host/x\"", environment: ["LK_PASSWORD": "hunter2"])
        let url = try root.require("url")
        #expect(url.isSensitive)
        #expect(try url.string() == "wss://u:hunter2@host/x")
        #expect(message { throw url.error("is not reachable") } == "\(file):1:6: url: <redacted> is not reachable")
    }

    @Test func longValuesAreTruncatedAndEscaped() throws {
        let long = String(repeating: "a", count: 100)
        let root = try parse("n: \(long)\nq: \"tab\\there\"")
        #expect(message { _ = try root.require("n").int() }
            == "\(file):1:4: n: \"\(String(repeating: "a", count: 60))\"... (100 characters) is not an integer (allowed: integer)")
        #expect(message { _ = try root.require("q").int() }
            == "\(file):2:4: q: \"tab\\there\" is not an integer (allowed: integer)")
    }
}

// MARK: JSON metadata

@Suite("fromJSON")
struct FromJSONTests {
    static let metadata = """
        {
          "agent": {"name": "support", "temperature": 0.7},
          "tools": [ {"url": "https://x"}, {"url": 5} ],
          "flag": true,
          "nothing": null,
          "prompt": "${LIVEKIT_API_SECRET} caf\\u00e9 \\ud83d\\ude00"
        }
        """

    @Test func buildsOrderedTreeWithLocations() throws {
        let root = try ConfigNode.fromJSON(Data(Self.metadata.utf8), label: "dispatch")
        #expect(root.keys == ["agent", "tools", "flag", "nothing", "prompt"])
        #expect(try node(root, "agent").keys == ["name", "temperature"])
        #expect(try node(root, "agent", "temperature").double(in: 0...2) == 0.7)
        #expect(try root.bool("flag", default: false))
        #expect(root["nothing"]?.isNull == true)
        #expect(try root.require("tools").sequence()[1].int("url", default: 0) == 5)
        // Remote metadata is never interpolated.
        #expect(try root.string("prompt", default: nil) == "${LIVEKIT_API_SECRET} café 😀")
        #expect(try root.require("tools").sequence()[1].require("url").keyPath == "tools[1].url")
        #expect(message { _ = try node(root, "agent", "name").int() }
            == "dispatch:2:21: agent.name: \"support\" is not an integer (allowed: integer)")
    }

    @Test func rejectsMalformedJSONWithPosition() {
        func json(_ text: String) throws -> ConfigNode { try ConfigNode.fromJSON(Data(text.utf8), label: "dispatch") }
        #expect(message { _ = try json("{\"a\": 1,}") }
            == "dispatch:1:9: invalid JSON: expected a string key (allowed: \"key\": value)")
        #expect(message { _ = try json("{\"a\": 1, \"a\": 2}") }
            == "dispatch:1:10: a: duplicate key, first defined at 1:2 (allowed: each key once per object)")
        #expect(message { _ = try json("{\"a\": [1, tru]}") }
            == "dispatch:1:14: a[1]: invalid JSON: has an invalid literal (allowed: true, false or null)")
        #expect(message { _ = try json("[1] 2") }
            == "dispatch:1:5: invalid JSON: unexpected text after the JSON value (allowed: a single JSON value)")
        #expect(message { _ = try json(String(repeating: "[", count: 200)) }
            == "dispatch:1:129: \(String(repeating: "[0]", count: 128)): invalid JSON: nests too deeply (allowed: at most 128 levels)")
    }

    @Test func emptyMetadataIsNull() throws {
        let root = try ConfigNode.fromJSON(Data("  \n".utf8), label: "dispatch")
        #expect(root.isNull)
        #expect(try root.string("agent_name", default: "default") == "default")
    }
}
