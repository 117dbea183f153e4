// SPDX-License-Identifier: Apache-2.0

/// A provider plugin broke one of the conformance rules. The kit's checks throw it; the
/// plugin's own `@Test` functions call the checks, so a failure names the rule and what was seen.
public struct ConformanceFailure: Error, CustomStringConvertible {
    public var rule: String
    public var detail: String

    public init(_ rule: String, _ detail: String) {
        self.rule = rule
        self.detail = detail
    }

    public var description: String { "\(rule): \(detail)" }
}

/// Throws `ConformanceFailure(rule, detail())` unless `condition` holds.
public func conform(_ condition: Bool, _ rule: String, _ detail: @autoclosure () -> String) throws {
    if !condition { throw ConformanceFailure(rule, detail()) }
}
