import ArgumentParser
import MeshCore
import MeshNode
import MeshRPC

extension MeshProbe {
    struct Breakers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a node's per-peer circuit breakers: which links are open, since when, and why.")

        @Argument(help: "The node, HOST:PORT.")
        var address: String

        @OptionGroup var identity: ProbeIdentity

        func run() async throws {
            let report = try await identity.ask(AdminService.breakers, at: address)
            for line in BreakerTable.render(report) { print(line) }
        }
    }
}
