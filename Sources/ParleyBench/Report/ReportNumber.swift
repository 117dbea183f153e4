// SPDX-License-Identifier: Apache-2.0

/// Number formatting for the report and the charts. Written out by hand rather than with
/// `String(format:)` or a `NumberFormatter` so the output never depends on the locale or the
/// platform: the same results give byte-identical files on Linux and macOS, which is what
/// lets a report be diffed between runs and checked in tests.
enum ReportNumber {
    /// `value` rounded half away from zero to exactly `digits` decimals ("12.0", "-3.5").
    /// Never prints "-0.0": a value that rounds to zero has no sign.
    static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "inf" : "-inf") }
        let digits = min(max(digits, 0), 6)
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (value.magnitude * scale).rounded(.toNearestOrAwayFromZero)
        // Past 2^53 the scaled value has no fractional information left; avoid Int overflow too.
        guard scaled < 9.0e15 else { return String(value) }
        let units = Int64(scaled)
        let divisor = Int64(scale)
        let whole = units / divisor
        let sign = value < 0 && units != 0 ? "-" : ""
        guard digits > 0 else { return sign + String(whole) }
        var fraction = String(units % divisor)
        while fraction.count < digits { fraction = "0" + fraction }
        return sign + String(whole) + "." + fraction
    }

    /// At most `maxDigits` decimals, trailing zeros dropped ("12", "0.25", "3.5"): the form
    /// SVG coordinates and axis ticks use, short and still deterministic.
    static func compact(_ value: Double, maxDigits: Int = 2) -> String {
        var text = fixed(value, digits: maxDigits)
        guard text.contains(".") else { return text }
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    /// Milliseconds as the report prints them: one decimal, "—" when there is no value.
    static func ms(_ value: Double?) -> String {
        guard let value else { return "—" }
        return fixed(value, digits: 1)
    }
}
