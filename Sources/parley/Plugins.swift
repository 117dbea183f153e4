// SPDX-License-Identifier: Apache-2.0

import ParleyAssemblyAIPlugins
import ParleyBuiltinPlugins
import ParleyCartesiaPlugins
import ParleyCore
import ParleyDeepgramPlugins
import ParleyElevenLabsPlugins
import ParleyEspeakEngine
import ParleyOpenAIPlugins
import ParleySpeexPlugins
import ParleyWebRTCPlugins
#if canImport(ParleySherpaEngines)
import ParleySherpaEngines
#endif
#if canImport(ParleyLlamaPlugins)
import ParleyLlamaPlugins
#endif

/// The provider set this build of `parley` links. Adding a provider is one line here
/// (plus its target in Package.swift); see Plugins/README.md.
func makeRegistry() -> StageRegistry {
    let registry = StageRegistry()
    for r in BuiltinPlugins.registrations { registry.register(r) }
    registry.register(WebRTCVADStage.registration)
    registry.register(SpeexNoiseSuppressor.registration)
    registry.register(EspeakTTSStage.registration)
    for r in OpenAIPlugins.registrations { registry.register(r) }
    registry.register(CartesiaTTSStage.registration)
    registry.register(ElevenLabsTTSStage.registration)
    registry.register(DeepgramSTT.registration)
    registry.register(AssemblyAISTT.registration)
    #if canImport(ParleySherpaEngines)
    registry.register(MoonshineSTTStage.registration)
    registry.register(SileroVADStage.registration)
    registry.register(PiperTTSStage.registration)
    #endif
    #if canImport(ParleyLlamaPlugins)
    registry.register(LlamaChatStage.registration)
    #endif
    return registry
}
