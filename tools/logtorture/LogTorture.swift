import ArgumentParser

/// `logtorture`: a writer that prints every acknowledged append, and a crash tester that SIGKILLs it at random
/// moments and checks that every acknowledged record survived intact.
@main
struct LogTorture: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logtorture",
        abstract: "Crash-test the MeshLog event log.",
        subcommands: [WriteCommand.self, CrashTestCommand.self, BenchCommand.self]
    )
}
