import MeshTransport
import Testing

@Suite("HOST:PORT parsing")
struct HostPortTests {
    @Test(arguments: [
        ("127.0.0.1:7400", "127.0.0.1", 7400),
        ("node-1.mesh.svc.cluster.local:80", "node-1.mesh.svc.cluster.local", 80),
        ("[::1]:7000", "::1", 7000),
        ("localhost:0", "localhost", 0),
    ])
    func validAddressesParseAndPrintBack(text: String, host: String, port: Int) throws {
        let a = try #require(HostPort(text))
        #expect(a.host == host)
        #expect(a.port == port)
        #expect(a.description == text)
    }

    @Test(arguments: ["", "7400", ":7400", "host:", "host:65536", "host:-1", "host:x", "::1:7000", "[::1]7000", "[::1"])
    func invalidAddressesAreRefused(text: String) {
        #expect(HostPort(text) == nil)
    }
}
