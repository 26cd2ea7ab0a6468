import ArgumentParser

@main
struct Q3D: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q3d",
        abstract: "int8 3D convolutional networks on NVIDIA GPUs, with a CPU path.",
        subcommands: [])
}
