// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Forwards every frame unchanged. Used to measure the engine's own cost per hop (the
/// benchmarks chain six of them) and as a placeholder while designing a pipeline.
public final class Passthrough: Stage {
    public let name: String
    public var accepts: FrameKinds { .all }

    public init(name: String = "passthrough") { self.name = name }

    public func process(_ frame: Frame, _ context: StageContext) { context.emit(frame) }

    public static let registration = StageRegistration(
        provider: "passthrough", kinds: [.processor],
        summary: "Forwards every frame unchanged (engine overhead measurements)"
    ) { request in
        Passthrough(name: "passthrough" + (request.descriptor.model.map { ":" + $0 } ?? ""))
    }
}

/// Every stage this target provides, for one-line registration.
public enum BuiltinPlugins {
    public static let registrations: [StageRegistration] = [
        EnergyVAD.registration,
        LoopbackResponder.registration,
        EchoResponder.registration,
        Passthrough.registration,
    ]
}
