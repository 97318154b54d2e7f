import ArgumentParser

@main
struct MeshNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshnode",
        abstract: "Run a Mesh node, the demo cluster, or manage cluster keys.",
        subcommands: [RunCommand.self, DemoCommand.self, CACommand.self, CertCommand.self, ArchiveCommand.self],
        defaultSubcommand: nil
    )
}
