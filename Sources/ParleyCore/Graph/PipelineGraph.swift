// SPDX-License-Identifier: Apache-2.0

/// A built, validated pipeline: stages in topological order, the edges between them, and the
/// audio format negotiated on every edge. Produced by `PipelineBuilder`, run by `Pipeline`
/// (threaded) or `EmbeddedPipeline` (tests).
///
/// Node indices are 0..<nodes.count. Edge endpoints use `PipelineGraph.input` (−1) for the
/// pipeline input and `sinkNode` (== nodes.count) for the output.
public struct PipelineGraph {
    public struct Node {
        public let stage: any Stage
        public let inputFormat: AudioFormat
        public let outputFormat: AudioFormat
        /// True for converters the engine inserted during caps negotiation.
        public let isConverter: Bool
    }

    public struct Edge: Sendable, Hashable {
        public let from: Int
        public let to: Int
    }

    public static let input = -1

    public let nodes: [Node]
    public let edges: [Edge]
    public let inputFormat: AudioFormat
    public let outputFormat: AudioFormat

    public var sinkNode: Int { nodes.count }

    /// Human-readable summary, one stage per line, e.g. for `parley run --verbose`.
    public var summary: String {
        var lines: [String] = ["input (\(inputFormat))"]
        for (i, n) in nodes.enumerated() {
            let ins = edges.filter { $0.to == i }.map { $0.from == Self.input ? "input" : "#\($0.from)" }
            lines.append("#\(i) \(n.stage.name)\(n.isConverter ? " [inserted]" : "") ← \(ins.joined(separator: ",")) : \(n.inputFormat) → \(n.outputFormat)")
        }
        lines.append("output (\(outputFormat))")
        return lines.joined(separator: "\n")
    }

    public func edgeName(_ index: Int) -> String {
        let e = edges[index]
        let from = e.from == Self.input ? "input" : nodes[e.from].stage.name
        let to = e.to == sinkNode ? "output" : nodes[e.to].stage.name
        return "\(from)→\(to)"
    }
}

/// Errors from building a graph.
public struct PipelineBuildError: Error, Sendable, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
