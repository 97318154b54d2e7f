import ArgumentParser
import MeshCore
import MeshNode
import MeshRPC

extension MeshProbe {
    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the cluster as a node sees it: each member's address, status, incarnation and services.")

        @Argument(help: "The node, HOST:PORT.")
        var address: String

        @OptionGroup var identity: ProbeIdentity

        func run() async throws {
            let report = try await identity.ask(AdminService.members, at: address)
            for line in report.rendered() { print(line) }
        }
    }
}
