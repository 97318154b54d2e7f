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
            let transport = try identity.transport()
            let report = try await transport.call(
                AdminService.members, RawMessage([]), at: try parseAddress(address), options: identity.callOptions)
            await transport.shutdown()
            for line in report.rendered() { print(line) }
        }
    }
}
