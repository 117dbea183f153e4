// SPDX-License-Identifier: Apache-2.0

/// A snapshot of a pipeline's probes: per-edge queue counters and wait times, per-stage
/// processing times. Read it from `Pipeline.stats()` after the pipeline has ended, or from
/// `EmbeddedPipeline.stats()` at any time.
public struct PipelineStats: Sendable {
    public struct EdgeProbe: Sendable {
        public var name: String
        public var counters: EdgeStats
        public var queueWait: LatencyHistogram
    }

    public struct StageProbe: Sendable {
        public var name: String
        public var isConverter: Bool
        public var processing: LatencyHistogram
        /// Agent output from a provider thread that arrived after an interruption and was dropped.
        public var staleDropped: UInt64
    }

    public var edges: [EdgeProbe]
    public var stages: [StageProbe]

    /// Total frames dropped by overflow on all edges.
    public var totalDropped: UInt64 { edges.reduce(0) { $0 + $1.counters.dropped } }
}

extension PipelineEngine {
    func snapshot() -> PipelineStats {
        PipelineStats(
            edges: graph.edges.indices.map {
                .init(name: graph.edgeName($0), counters: queues[$0].stats, queueWait: waitHistograms[$0])
            },
            stages: graph.nodes.indices.map {
                .init(name: graph.nodes[$0].stage.name, isConverter: graph.nodes[$0].isConverter,
                      processing: nodes[$0].processing, staleDropped: nodes[$0].staleDropped)
            })
    }
}

extension Pipeline {
    /// The probes, once the pipeline has ended (after `waitBlocking()`); nil while it runs,
    /// because the loop thread owns them until then.
    public func stats() -> PipelineStats? {
        guard result != nil, isJoined else { return nil }
        return engineSnapshot()
    }
}

extension EmbeddedPipeline {
    public func stats() -> PipelineStats { engine.snapshot() }
}
