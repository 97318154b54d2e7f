import MeshNode
import MeshTransport
import Testing

@Suite("membership seeds")
struct MembershipSeedTests {
    @Test func numericSeedsPassThroughDeduplicatedInOrder() {
        let seeds = ["127.0.0.2:7400", "127.0.0.2:7400", "[::1]:7401", "10.0.0.1:1"].compactMap(HostPort.init)
        #expect(SeedResolver.resolve(seeds) == ["127.0.0.2:7400", "[::1]:7401", "10.0.0.1:1"])
    }

    @Test func namesResolveToEveryAddressWithTheSeedsPort() {
        let resolved = SeedResolver.resolve([HostPort(host: "localhost", port: 7402)])
        #expect(resolved.contains("127.0.0.1:7402"), "localhost resolved to \(resolved)")
        #expect(resolved.allSatisfy { $0.hasSuffix(":7402") && HostPort($0) != nil })
    }

    @Test func onlyAddressLiteralsCountAsNumeric() {
        #expect(SeedResolver.isNumeric("127.0.0.1"))
        #expect(SeedResolver.isNumeric("::1"))
        #expect(!SeedResolver.isNumeric("localhost"))
        #expect(!SeedResolver.isNumeric("node-1.mesh.local"))
    }
}
