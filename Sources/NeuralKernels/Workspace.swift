/// Scratch memory for the kernels (packed GEMM panels, edge tiles), 64-byte aligned.
///
/// Grows on demand and never shrinks, so after the first call with the largest layer, running a network
/// allocates nothing. Not thread-safe: give each thread its own workspace. Not `Sendable`.
public final class Workspace {
    private var base: UnsafeMutableRawPointer
    private var capacityBytes: Int

    /// Creates a workspace with `initialFloats` floats reserved.
    public init(initialFloats: Int = 0) {
        capacityBytes = max(64, initialFloats * MemoryLayout<Float>.stride)
        base = UnsafeMutableRawPointer.allocate(byteCount: capacityBytes, alignment: 64)
    }

    deinit { base.deallocate() }

    /// Bytes currently reserved.
    public var capacity: Int { capacityBytes }

    /// Returns `count` floats of scratch starting at float offset `offset` (rounded so each region stays
    /// 64-byte aligned by the caller's choice of offsets). Earlier pointers are invalidated when it grows.
    func floats(offset: Int, count: Int) -> UnsafeMutablePointer<Float> {
        let needed = (offset + count) * MemoryLayout<Float>.stride
        if needed > capacityBytes {
            base.deallocate()
            capacityBytes = max(needed, capacityBytes * 2)
            base = UnsafeMutableRawPointer.allocate(byteCount: capacityBytes, alignment: 64)
        }
        return base.assumingMemoryBound(to: Float.self) + offset
    }

    /// Reserves `count` floats at offset 0 and returns them.
    func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        floats(offset: 0, count: count)
    }
}

/// Rounds `n` up to a multiple of 16 floats (64 bytes).
@inline(__always)
func roundUpTo16(_ n: Int) -> Int { (n + 15) & ~15 }
