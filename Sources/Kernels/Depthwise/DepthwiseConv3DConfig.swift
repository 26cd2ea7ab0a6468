/// The choices of the depthwise conv3d template (``DepthwiseConv3DTemplate``).
///
/// Each thread computes `outputsW` consecutive output pixels along W for a vector of `channels`
/// consecutive channels; blocks hold `threads` threads, neighbouring threads taking neighbouring channel
/// vectors of the same pixels so that their loads and stores are coalesced.
///
/// ```swift
/// let config = DepthwiseConv3DConfig(channels: 16, outputsW: 4, threads: 128)
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

    public init(channels: Int, outputsW: Int, threads: Int) {
        self.channels = channels
        self.outputsW = outputsW
        self.threads = threads
    }

    /// Knob names, also the JSON keys.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case channels = "channels", outputsW = "outputs_w", threads = "threads"
    }

    public var description: String { "channels \(channels) outputs_w \(outputsW) threads \(threads)" }

    /// The configuration as one line of JSON with the knob names as keys, in a fixed order: what the
    /// rendered source's header records.
    public var json: String {
        "{\"channels\": \(channels), \"outputs_w\": \(outputsW), \"threads\": \(threads)}"
    }
}

/// Every knob is a choice of integers.
extension DepthwiseConv3DConfig: TunableConfig {
    public var knobValues: [String: KnobValue] {
        [
            CodingKeys.channels.rawValue: .choice(channels), CodingKeys.outputsW.rawValue: .choice(outputsW),
            CodingKeys.threads.rawValue: .choice(threads),
        ]
    }

    public init(knobValues values: [String: KnobValue]) throws(ConfigSpaceError) {
        func choice(_ key: CodingKeys) throws(ConfigSpaceError) -> Int {
            guard let value = values[key.rawValue] else { throw .missingKnob(key.rawValue) }
            guard case .choice(let v) = value else {
                throw .wrongKind(knob: key.rawValue, value: value.description, expected: "a choice")
            }
            return v
        }
        self.init(channels: try choice(.channels), outputsW: try choice(.outputsW), threads: try choice(.threads))
    }
}
