// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging

/// What a kit check asks a plugin's factory to build: the plugin's stage pointed at its protocol
/// test server, for one test session and one scenario.
///
/// The factory (in the plugin's test target) turns this into a `LiveStageHarness`: it builds the
/// provider's `base_url` from `session`, `scenario` and `query` (each server has its own path
/// after `/s/<session>/<scenario>`), adds `options` to the slot's YAML mapping, passes
/// `environment`, and hands its stage `logger` if the stage can take one (so the kit can check
/// that no key is ever logged).
public struct ConformanceTarget: Sendable {
    /// Isolates the test on the shared server (`/s/<session>/…`, `?session=` on admin endpoints).
    public var session: String
    /// `ok`, `slow_first_byte`, `error_401`, `error_500`, `drop`, `malformed`, or a provider's own.
    public var scenario: String
    /// Query items for the test server (`delay_ms=3000`, `fault_count=1`, `close_delay_ms=400`),
    /// without the `?`; empty for none.
    public var query: String
    /// Extra entries of the slot's YAML flow mapping (`"connect_timeout_ms: 300"`).
    public var options: [String]
    public var environment: [String: String]
    /// Captures at trace level; give it to the stage when it has a settable logger.
    public var logger: Logger

    public init(session: String = ConformanceTarget.newSession(), scenario: String, query: String = "",
                options: [String] = [], environment: [String: String] = [:], logger: Logger? = nil) {
        self.session = session
        self.scenario = scenario
        self.query = query
        self.options = options
        self.environment = environment
        self.logger = logger ?? Logger(label: "parley.conformance", factory: { _ in SwiftLogNoOpLogHandler() })
    }

    /// A fresh, URL-safe session name.
    public static func newSession() -> String { "k" + UUID().uuidString.prefix(8).lowercased() }

    /// `?query` or nothing, to append to a URL path.
    public var querySuffix: String { query.isEmpty ? "" : "?" + query }
}

/// A provider fault the kit injects and the failure it must produce.
public struct ConformanceFault: Sendable, CustomStringConvertible {
    public var scenario: String
    public var query: String
    /// Options that make the fault observable (a short timeout for `slow_first_byte`).
    public var options: [String]
    /// The failure must name the cause with one of these (case-insensitive).
    public var causes: [String]

    public init(scenario: String, query: String = "", options: [String] = [], causes: [String]) {
        self.scenario = scenario
        self.query = query
        self.options = options
        self.causes = causes
    }

    public var description: String { scenario }
}

/// A key the kit configures and then looks for everywhere it must not be.
public let conformanceSecretKey = "sk-conformance-secret-4f1c9e"
