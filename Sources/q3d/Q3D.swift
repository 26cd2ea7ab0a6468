import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct Q3D: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q3d",
        abstract: "int8 3D convolutional networks on NVIDIA GPUs, with a CPU path.",
        subcommands: [
            DemoCommand.self, QuantizeCommand.self, RunCommand.self, Conv3DCommand.self, CompileCommand.self,
            VerifyCommand.self, BenchCommand.self, TuneCommand.self, PeakCommand.self, DoctorCommand.self, TuneWorkerCommand.self,
        ])

    /// Parses and runs a subcommand. Every error (bad flags, bad values, a failed load) prints its
    /// message and exits with code 2; help exits 0; a command that wants another code throws `ExitCode`.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            if exitCode(for: error) == .success { Q3D.exit(withError: error) }
            Terminal.error(message(for: error))
            Glibc.exit(2)
        }
    }
}
