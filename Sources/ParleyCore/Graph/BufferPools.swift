// SPDX-License-Identifier: Apache-2.0

/// The audio buffer pools of one pipeline, one per buffer size, created while the graph is
/// built (so lookups on the hot path never allocate). Sizes are rounded up to a power of two.
public final class BufferPools {
    private var pools: [AudioBufferPool] = []

    public init() {}

    static func roundedCapacity(_ samples: Int) -> Int {
        var c = 64
        while c < samples { c <<= 1 }
        return c
    }

    func ensurePool(forAtLeast samples: Int) {
        let capacity = Self.roundedCapacity(samples)
        if !pools.contains(where: { $0.bufferCapacity == capacity }) {
            pools.append(AudioBufferPool(bufferCapacity: capacity, preallocate: 16))
            pools.sort { $0.bufferCapacity < $1.bufferCapacity }
        }
    }

    /// The smallest pool whose buffers hold `samples`; creates one if none does.
    public func pool(forAtLeast samples: Int) -> AudioBufferPool {
        for p in pools where p.bufferCapacity >= samples { return p }
        ensurePool(forAtLeast: samples)
        return pool(forAtLeast: samples)
    }

    /// Buffers ever created (a steady-state run keeps this constant).
    public var totalAllocations: Int { pools.reduce(0) { $0 + $1.allocations } }
}
