// SPDX-License-Identifier: Apache-2.0

/// Fixed-capacity interleaved Int16 sample storage, shared by reference between frames.
///
/// Frames are values that point at a buffer. Forwarding a frame through a passthrough stage
/// costs a retain, never a copy or an allocation. A stage that wants to change samples asks
/// the frame for a writable buffer (`AudioFrame.withWritableSamples`), which copies only when
/// the buffer is shared (copy-on-write, checked with `isKnownUniquelyReferenced`).
///
/// Buffers come from an `AudioBufferPool` so the hot path reuses them instead of allocating.
///
/// Sendable: the storage is written only by the single owner that holds the sole reference
/// (a fresh buffer from the pool, or one proven unique by `isKnownUniquelyReferenced`);
/// once a frame is shared, every holder only reads. ARC's reference counting is atomic, so
/// a buffer released on another thread is seen as unique again only after that release.
public final class AudioBuffer: @unchecked Sendable {
    public let capacity: Int
    /// The samples. Write only to a buffer you hold the sole reference to (fresh from
    /// `acquire()`/`StageContext.acquireBuffer()`, before wrapping it in a frame you emit);
    /// to change a frame's samples later use `AudioFrame.withWritableSamples(pool:_:)`.
    public let storage: UnsafeMutablePointer<Int16>

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
        storage.initialize(repeating: 0, count: capacity)
    }

    deinit { storage.deallocate() }
}

/// A recycling set of `AudioBuffer`s of one capacity.
///
/// `acquire()` returns a buffer nobody else references (the pool holds the only reference);
/// buffers become reusable automatically when the last frame that used them is released.
/// The pool grows when every buffer is in use (a burst), and never shrinks below its
/// high-water mark, so steady state allocates nothing.
///
/// Not thread-safe: one pool per pipeline loop (or per producing thread).
public final class AudioBufferPool {
    public let bufferCapacity: Int
    private var buffers: [AudioBuffer]
    private var cursor = 0
    public private(set) var allocations = 0

    public init(bufferCapacity: Int, preallocate: Int = 8) {
        self.bufferCapacity = bufferCapacity
        buffers = []
        buffers.reserveCapacity(max(preallocate, 8))
        for _ in 0..<preallocate { buffers.append(AudioBuffer(capacity: bufferCapacity)) }
        allocations = preallocate
    }

    public var count: Int { buffers.count }

    /// A buffer that only the pool references; grows the pool if none is free.
    public func acquire() -> AudioBuffer {
        let n = buffers.count
        var i = 0
        while i < n {
            let index = (cursor + i) % n
            if isKnownUniquelyReferenced(&buffers[index]) {
                cursor = (index + 1) % n
                return buffers[index]
            }
            i += 1
        }
        let buffer = AudioBuffer(capacity: bufferCapacity)
        buffers.append(buffer)
        allocations += 1
        return buffer
    }
}
