import CUDARuntime

/// Times of repeated launches of one kernel, measured with CUDA events.
public struct KernelTiming: Sendable, Hashable {
    /// Each timed launch, in milliseconds, in launch order.
    public var milliseconds: [Double]

    public init(milliseconds: [Double]) { self.milliseconds = milliseconds }

    /// The median launch (the mean of the middle two for an even count); 0 with no launches.
    public var median: Double {
        let sorted = milliseconds.sorted()
        guard !sorted.isEmpty else { return 0 }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    public var minimum: Double { milliseconds.min() ?? 0 }
}

/// Runs a launch `warmup` times untimed, then `repeats` times each between two events on `stream`.
public enum KernelTimer {
    public static func time(
        context: CUDAContext, stream: CUDAStream? = nil, warmup: Int, repeats: Int,
        _ launch: () throws(CUDAError) -> Void
    ) throws(CUDAError) -> KernelTiming {
        for _ in 0..<max(0, warmup) { try launch() }
        let start = try CUDAEvent(context: context)
        let end = try CUDAEvent(context: context)
        var times: [Double] = []
        for _ in 0..<max(0, repeats) {
            try start.record(on: stream)
            try launch()
            try end.record(on: stream)
            times.append(Double(try CUDAEvent.elapsedMilliseconds(from: start, to: end)))
        }
        return KernelTiming(milliseconds: times)
    }
}
