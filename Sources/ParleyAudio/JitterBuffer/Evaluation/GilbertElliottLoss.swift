// SPDX-License-Identifier: Apache-2.0

/// The Gilbert–Elliott two-state model of bursty packet loss: a *good* state that loses with
/// probability `lossInGood` and a *bad* state that loses with `lossInBad`; each packet moves
/// good→bad with probability `p` and bad→good with `r`. Mean burst length in the bad state is
/// 1 / r; the long-run loss rate is (r·lossInGood + p·lossInBad) / (p + r).
public struct GilbertElliottLoss: Sendable, Hashable {
    public var p: Double
    public var r: Double
    public var lossInGood: Double
    public var lossInBad: Double

    public init(p: Double, r: Double, lossInGood: Double = 0, lossInBad: Double = 1) {
        self.p = p
        self.r = r
        self.lossInGood = lossInGood
        self.lossInBad = lossInBad
    }

    /// A model with the given long-run loss rate and mean burst length (in packets), losing
    /// every packet in the bad state and none in the good one.
    public init(lossRate: Double, meanBurst: Double) {
        let r = 1 / max(meanBurst, 1)
        let rate = min(max(lossRate, 0), 0.99)
        self.init(p: rate * r / (1 - rate), r: r)
    }

    public var meanLossRate: Double { (r * lossInGood + p * lossInBad) / (p + r) }

    /// Runs the chain over packets.
    public struct State: Sendable {
        var bad = false
        public init() {}

        /// Advances one packet; true when this packet is lost.
        public mutating func step(_ model: GilbertElliottLoss, _ rng: inout TraceRandom) -> Bool {
            bad = bad ? !rng.chance(model.r) : rng.chance(model.p)
            return rng.chance(bad ? model.lossInBad : model.lossInGood)
        }
    }
}
