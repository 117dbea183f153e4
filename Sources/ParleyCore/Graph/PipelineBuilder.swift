// SPDX-License-Identifier: Apache-2.0

/// Builds a `PipelineGraph`: linear chains plus fan-out/fan-in branches, with caps negotiation.
///
/// ```
///   let graph = try PipelineBuilder(input: .standard)
///       .then(noiseSuppressor)
///       .then(vad)
///       .parallel([[recorder], [stt, llm]])   // fan-out to both branches, fan-in after
///       .then(tts)
///       .build(outputCaps: AudioCaps(sampleRates: [48_000], channels: [1], frameDurationMs: 20))
/// ```
///
/// Negotiation walks the graph with the current audio format. In front of each stage whose
/// `inputCaps` reject that format it inserts, as needed and in this order, a `ChannelMixer`,
/// a `ResamplerStage` and a `Reframer` (mixing first so resampling runs on fewer channels).
/// Branches that end in different formats are converted to the first branch's format before
/// they merge. `outputCaps` converts the final format the same way.
///
/// Kind checking: a stage must accept some kind that can reach it (produced by the input or
/// by any stage before it), otherwise the build fails naming the stage.
public struct PipelineBuilder {
    indirect enum Step {
        case stage(any Stage)
        case parallel([[Step]])
        case convert(AudioFormat)
    }

    private var steps: [Step] = []
    public let inputFormat: AudioFormat
    public let inputKinds: FrameKinds
    public var converterQuality: ResamplerQuality = .high

    public init(input: AudioFormat, inputKinds: FrameKinds = [.audio, .control]) {
        inputFormat = input
        self.inputKinds = inputKinds
    }

    public func then(_ stage: any Stage) -> PipelineBuilder {
        var b = self
        b.steps.append(.stage(stage))
        return b
    }

    public func then(_ stages: [any Stage]) -> PipelineBuilder {
        stages.reduce(self) { $0.then($1) }
    }

    /// Converts whatever arrives here to `format` (inserting only the converters needed),
    /// e.g. to bring any input to the pipeline's internal format before the first stage.
    public func convert(to format: AudioFormat) -> PipelineBuilder {
        var b = self
        b.steps.append(.convert(format))
        return b
    }

    /// Fan-out to each branch (every frame goes to all of them), fan-in into whatever follows.
    /// An empty branch is a plain bypass.
    public func parallel(_ branches: [[any Stage]]) -> PipelineBuilder {
        var b = self
        b.steps.append(.parallel(branches.map { $0.map { Step.stage($0) } }))
        return b
    }

    public func build(outputCaps: AudioCaps = .any) throws -> PipelineGraph {
        var ctx = BuildContext(quality: converterQuality)
        let ends = try ctx.add(steps, from: [(PipelineGraph.input, inputFormat)], kinds: inputKinds)
        // Merge into the sink, converting to the output caps.
        let merged = try ctx.merge(ends.outputs, wanting: nil)
        let fixed = try ctx.convert(from: merged, to: outputCaps)
        for (node, _) in fixed { ctx.edges.append((from: node, to: Int.max)) }
        let sink = ctx.nodes.count
        let edges = ctx.edges.map { PipelineGraph.Edge(from: $0.from, to: $0.to == Int.max ? sink : $0.to) }
        guard let outFormat = fixed.first?.1 else { throw PipelineBuildError("pipeline has no output") }
        return PipelineGraph(nodes: ctx.nodes, edges: edges, inputFormat: inputFormat, outputFormat: outFormat)
    }
}

/// The mutable state of one `build()`.
private struct BuildContext {
    typealias End = (Int, AudioFormat) // node index (or input), format on that output

    var nodes: [PipelineGraph.Node] = []
    var edges: [(from: Int, to: Int)] = []
    let quality: ResamplerQuality

    init(quality: ResamplerQuality) { self.quality = quality }

    mutating func addNode(_ stage: any Stage, inputs: [End], isConverter: Bool) -> End {
        let index = nodes.count
        let format = inputs[0].1
        let out = stage.outputFormat(for: format)
        nodes.append(.init(stage: stage, inputFormat: format, outputFormat: out, isConverter: isConverter))
        for (from, _) in inputs { edges.append((from, index)) }
        return (index, out)
    }

    /// Adds `steps` after `inputs`; returns the open ends and the kinds that can reach them.
    mutating func add(_ steps: [PipelineBuilder.Step], from inputs: [End], kinds: FrameKinds) throws
        -> (outputs: [End], kinds: FrameKinds) {
        var current = inputs
        var reachable = kinds
        for step in steps {
            switch step {
            case .stage(let stage):
                let wanted = stage.accepts.subtracting(.control)
                if !wanted.isEmpty && wanted.intersection(reachable).isEmpty {
                    throw PipelineBuildError(
                        "stage '\(stage.name)' accepts \(wanted) but nothing before it produces that (available: \(reachable))")
                }
                let merged = try merge(current, wanting: stage.accepts.contains(.audio) ? stage.inputCaps : nil)
                let ready = stage.accepts.contains(.audio) ? try convert(from: merged, to: stage.inputCaps) : merged
                current = [addNode(stage, inputs: ready, isConverter: false)]
                reachable.formUnion(stage.produces)
            case .convert(let format):
                let caps = AudioCaps(sampleRates: [format.sampleRate], channels: [format.channels])
                current = try convert(from: merge(current, wanting: caps), to: caps, exactFrame: format.samplesPerFrame)
            case .parallel(let branches):
                if branches.isEmpty { continue }
                var ends: [End] = []
                var union = reachable
                for branch in branches {
                    if branch.isEmpty {
                        ends.append(contentsOf: current)
                    } else {
                        let r = try add(branch, from: current, kinds: reachable)
                        ends.append(contentsOf: r.outputs)
                        union.formUnion(r.kinds)
                    }
                }
                current = ends
                reachable = union
            }
        }
        return (current, reachable)
    }

    /// Makes all ends carry one format (the first end's, or what `caps` accepts), so a fan-in
    /// node sees a single format. Returns the ends, converted where needed.
    mutating func merge(_ ends: [End], wanting caps: AudioCaps?) throws -> [End] {
        guard ends.count > 1 else { return ends }
        let target = caps.map { $0.fixate(from: ends[0].1) } ?? ends[0].1
        var out: [End] = []
        for end in ends {
            out.append(contentsOf: try convert(from: [end], to: AudioCaps(
                sampleRates: [target.sampleRate], channels: [target.channels],
                frameDurationMs: nil), exactFrame: target.samplesPerFrame))
        }
        return out
    }

    private func ctxResampled(_ end: End, _ nodes: [PipelineGraph.Node]) -> Bool {
        end.0 >= 0 && nodes[end.0].stage is ResamplerStage
    }

    /// Inserts channel mix → resample → re-frame converters so every end satisfies `caps`.
    mutating func convert(from ends: [End], to caps: AudioCaps, exactFrame: Int? = nil) throws -> [End] {
        var out: [End] = []
        for var end in ends {
            var target = caps.fixate(from: end.1)
            if let exactFrame { target.samplesPerFrame = exactFrame }
            if caps.accepts(end.1) && (exactFrame == nil || end.1.samplesPerFrame == exactFrame) {
                out.append(end)
                continue
            }
            if end.1.channels != target.channels {
                end = addNode(ChannelMixer(from: end.1.channels, to: target.channels), inputs: [end], isConverter: true)
            }
            if end.1.sampleRate != target.sampleRate {
                end = addNode(ResamplerStage(from: end.1.sampleRate, to: target.sampleRate, channels: end.1.channels,
                                             quality: quality), inputs: [end], isConverter: true)
            }
            // A resampler's output frames can vary by a sample; re-cut them when exact frames are wanted.
            let resampled = ctxResampled(end, nodes)
            if end.1.samplesPerFrame != target.samplesPerFrame
                || (resampled && (caps.frameDurationMs != nil || exactFrame != nil)) {
                end = addNode(Reframer(samplesPerFrame: target.samplesPerFrame), inputs: [end], isConverter: true)
            }
            out.append(end)
        }
        return out
    }
}
