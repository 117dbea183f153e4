// SPDX-License-Identifier: Apache-2.0

/// A minimal SVG writer: just the shapes the bench charts need, so the report can be drawn
/// without a browser, a plotting library or a new package dependency.
///
/// The output is deterministic (attributes in a fixed order, numbers with at most two
/// decimals, no ids or timestamps that change between runs), so the same results always give
/// the same bytes. Every string that reaches the file goes through `escape`, because labels
/// come from runner output and settings that nobody vetted for XML.
public struct SVGDocument: Sendable {
    public struct Point: Sendable, Hashable {
        public var x: Double
        public var y: Double
        public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
    }

    public enum Anchor: String, Sendable { case start, middle, end }

    /// One family for every text element: DejaVu ships with every Debian/Ubuntu image and with
    /// librsvg, so the PNGs `rsvg-convert` makes look like the SVG a browser shows.
    public static let fontFamily = "DejaVu Sans, sans-serif"

    public let width: Double
    public let height: Double
    public let title: String
    private var defs: [String] = []
    private var body: [String] = []

    /// `title` becomes the document's `<title>`: what screen readers and image tooltips show.
    public init(width: Double, height: Double, title: String) {
        self.width = width; self.height = height; self.title = title
    }

    // MARK: Shapes

    public mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String,
                              stroke: String? = nil, strokeWidth: Double? = nil) {
        body.append(element("rect", [
            ("x", num(x)), ("y", num(y)), ("width", num(max(width, 0))), ("height", num(max(height, 0))),
            ("fill", fill), ("stroke", stroke), ("stroke-width", strokeWidth.map(num)),
        ]))
    }

    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String,
                              width: Double = 1, dash: String? = nil) {
        body.append(element("line", [
            ("x1", num(x1)), ("y1", num(y1)), ("x2", num(x2)), ("y2", num(y2)),
            ("stroke", stroke), ("stroke-width", num(width)), ("stroke-dasharray", dash),
        ]))
    }

    public mutating func polyline(_ points: [Point], stroke: String, width: Double = 2, dash: String? = nil) {
        guard !points.isEmpty else { return }
        body.append(element("polyline", [
            ("points", pointList(points)), ("fill", "none"), ("stroke", stroke), ("stroke-width", num(width)),
            ("stroke-dasharray", dash), ("stroke-linejoin", "round"),
        ]))
    }

    public mutating func polygon(_ points: [Point], fill: String, stroke: String? = nil, strokeWidth: Double? = nil) {
        guard !points.isEmpty else { return }
        body.append(element("polygon", [
            ("points", pointList(points)), ("fill", fill), ("stroke", stroke), ("stroke-width", strokeWidth.map(num)),
        ]))
    }

    public mutating func circle(cx: Double, cy: Double, r: Double, fill: String, stroke: String? = nil,
                                strokeWidth: Double? = nil) {
        body.append(element("circle", [
            ("cx", num(cx)), ("cy", num(cy)), ("r", num(r)), ("fill", fill),
            ("stroke", stroke), ("stroke-width", strokeWidth.map(num)),
        ]))
    }

    /// `rotate` turns the text by that many degrees around its anchor point (axis titles).
    public mutating func text(_ string: String, x: Double, y: Double, size: Double = 12, anchor: Anchor = .start,
                              weight: String? = nil, fill: String = "#222222", rotate: Double? = nil) {
        let transform = rotate.map { "rotate(\(num($0)) \(num(x)) \(num(y)))" }
        body.append(element("text", [
            ("x", num(x)), ("y", num(y)), ("font-size", num(size)), ("text-anchor", anchor == .start ? nil : anchor.rawValue),
            ("font-weight", weight), ("fill", fill), ("transform", transform),
        ], content: Self.escape(string)))
    }

    /// Defines a diagonal-stripe fill and returns the `fill` value that uses it: segments that
    /// must stand out without relying on colour alone (colour-blind readers, greyscale prints).
    @discardableResult
    public mutating func hatchPattern(id: String, stripe: String, background: String) -> String {
        let safeID = Self.escape(id)
        if !defs.contains(where: { $0.contains("id=\"\(safeID)\"") }) {
            defs.append(
                "<pattern id=\"\(safeID)\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
                + "<rect width=\"8\" height=\"8\" fill=\"\(Self.escape(background))\"/>"
                + "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"\(Self.escape(stripe))\" stroke-width=\"4\"/></pattern>")
        }
        return "url(#\(safeID))"
    }

    // MARK: Output

    public func render() -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(num(width))\" height=\"\(num(height))\" "
            + "viewBox=\"0 0 \(num(width)) \(num(height))\" font-family=\"\(Self.escape(Self.fontFamily))\" role=\"img\">\n"
        out += "<title>\(Self.escape(title))</title>\n"
        if !defs.isEmpty { out += "<defs>" + defs.joined() + "</defs>\n" }
        // An opaque background: without it a PNG conversion is transparent and unreadable on
        // dark viewers.
        out += "<rect x=\"0\" y=\"0\" width=\"\(num(width))\" height=\"\(num(height))\" fill=\"#ffffff\"/>\n"
        for e in body { out += e + "\n" }
        out += "</svg>\n"
        return out
    }

    /// Escapes text for both element content and attribute values, and drops the characters
    /// XML 1.0 forbids outright (control characters other than tab, LF and CR), which no
    /// amount of escaping would make well-formed.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                if v < 0x20 || v == 0xFFFE || v == 0xFFFF { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    // MARK: Helpers

    private func num(_ v: Double) -> String { ReportNumber.compact(v, maxDigits: 2) }

    private func pointList(_ points: [Point]) -> String {
        points.map { "\(num($0.x)),\(num($0.y))" }.joined(separator: " ")
    }

    /// Attributes with a nil value are left out; the order is the caller's, so output is stable.
    private func element(_ name: String, _ attributes: [(String, String?)], content: String? = nil) -> String {
        var s = "<" + name
        for (key, value) in attributes {
            guard let value else { continue }
            s += " \(key)=\"\(Self.escape(value))\""
        }
        guard let content else { return s + "/>" }
        return s + ">" + content + "</\(name)>"
    }
}
