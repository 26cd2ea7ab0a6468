import Dispatch
import Synchronization

/// Runs `body` over `0 ..< items` in chunks taken by up to `threads` workers, each worker asking a
/// shared counter for its next chunk: a core slowed by other work on the machine simply takes fewer.
/// Returns when all items are done.
///
/// `body` runs concurrently with itself: callers hand it raw pointers and guarantee that distinct
/// items write disjoint memory, which is why it need not be `Sendable`.
func forEachChunk(of items: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    guard items > 0 else { return }
    let workers = min(threads, items)
    guard workers > 1 else {
        body(0..<items)
        return
    }
    // About eight chunks per worker: small enough to even out, large enough to amortize the counter.
    let chunk = max(1, items / (workers * 8))
    let next = ChunkCounter()
    withoutActuallyEscaping(body) { body in
        let shared = ConcurrentBody(run: body)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let start = next.value.add(chunk, ordering: .relaxed).oldValue
                guard start < items else { return }
                shared.run(start..<min(start + chunk, items))
            }
        }
    }
}

/// The next unclaimed item of a `forEachChunk` call.
private final class ChunkCounter: Sendable {
    let value = Atomic<Int>(0)
}

/// Carries `forEachChunk`'s body into Dispatch's `@Sendable` closure. Unchecked because the body's
/// callers promise disjoint writes per item, and `concurrentPerform` returns before the body's
/// captures go out of scope.
private struct ConcurrentBody: @unchecked Sendable {
    let run: (Range<Int>) -> Void
}
