/// The choices of the depthwise conv3d template (``DepthwiseConv3DTemplate``).
///
/// Each thread computes `outputsW` consecutive output pixels along W for a vector of `channels`
/// consecutive channels; blocks hold `threads` threads, neighbouring threads taking neighbouring channel
/// vectors of the same pixels so that their loads and stores are coalesced. With `tapDP4A` the
/// products of a filter row are summed four taps at a time by `dp4a` (the window's bytes transposed
/// per channel with byte permutes) instead of one byte multiply-add per tap.
///
/// ```swift
/// let config = DepthwiseConv3DConfig(channels: 16, outputsW: 4, threads: 128, tapDP4A: true)
/// ```
public struct DepthwiseConv3DConfig: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Channels per thread, also the bytes of each activation and weight load: 4, 8 or 16, dividing the
    /// packed channel pitch.
    public var channels: Int
    /// Output pixels per thread along W: 1, 2, 4 or 8. The thread keeps the input row window these
    /// outputs read in registers, so neighbouring outputs share their loads.
    public var outputsW: Int
    /// Threads per block: 64 to 512.
    public var threads: Int
    /// Sum the taps of a filter row along W four at a time with `dp4a` (needs a W dilation of 1, so
    /// that the taps read consecutive inputs); else one byte multiply-add per tap.
    public var tapDP4A: Bool
    /// Unroll the loop over the filter's rows (kh), so that the loads of all its rows are in flight
    /// together instead of one row's at a time.
    public var unrollRows: Bool

    public init(channels: Int, outputsW: Int, threads: Int, tapDP4A: Bool = false, unrollRows: Bool = false) {
        self.channels = channels
        self.outputsW = outputsW
        self.threads = threads
        self.tapDP4A = tapDP4A
        self.unrollRows = unrollRows
    }

    /// Knob names, also the JSON keys.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case channels = "channels", outputsW = "outputs_w", threads = "threads", tapDP4A = "tap_dp4a"
        case unrollRows = "unroll_rows"
    }

    /// Configs logged before `tap_dp4a` and `unroll_rows` existed read them as `false`, what they ran.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        channels = try c.decode(Int.self, forKey: .channels)
        outputsW = try c.decode(Int.self, forKey: .outputsW)
        threads = try c.decode(Int.self, forKey: .threads)
        tapDP4A = try c.decodeIfPresent(Bool.self, forKey: .tapDP4A) ?? false
        unrollRows = try c.decodeIfPresent(Bool.self, forKey: .unrollRows) ?? false
    }

    public var description: String {
        "channels \(channels) outputs_w \(outputsW) threads \(threads)" + (tapDP4A ? " tap_dp4a" : "") + (unrollRows ? " unroll_rows" : "")
    }

    /// The configuration as one line of JSON with the knob names as keys, in a fixed order: what the
    /// rendered source's header records.
    public var json: String {
        "{\"channels\": \(channels), \"outputs_w\": \(outputsW), \"threads\": \(threads), \"tap_dp4a\": \(tapDP4A), \"unroll_rows\": \(unrollRows)}"
    }
}

/// Every knob is a choice of integers (`tap_dp4a`, `unroll_rows`: 0 or 1).
extension DepthwiseConv3DConfig: TunableConfig {
    public var knobValues: [String: KnobValue] {
        [
            CodingKeys.channels.rawValue: .choice(channels), CodingKeys.outputsW.rawValue: .choice(outputsW),
            CodingKeys.threads.rawValue: .choice(threads), CodingKeys.tapDP4A.rawValue: .choice(tapDP4A ? 1 : 0),
            CodingKeys.unrollRows.rawValue: .choice(unrollRows ? 1 : 0),
        ]
    }

    public init(knobValues values: [String: KnobValue]) throws(ConfigSpaceError) {
        func choice(_ key: CodingKeys) throws(ConfigSpaceError) -> Int { try values.choice(key) }
        self.init(
            channels: try choice(.channels), outputsW: try choice(.outputsW), threads: try choice(.threads),
            tapDP4A: try choice(.tapDP4A) != 0, unrollRows: try choice(.unrollRows) != 0)
    }
}
