import MeshNode
import MeshWire
import Testing

@Suite("membership admin report")
struct MembershipReportTests {
    let report = MembersReport(
        node: "node-1",
        members: [
            MemberInfo(
                name: "node-1", address: "127.0.0.1:7400", status: "alive", incarnation: 7, services: ["orders"]),
            MemberInfo(name: "node-22", address: "127.0.0.2:7400", status: "dead", incarnation: 0, services: []),
        ])

    @Test func roundTripsThroughTheWireEncoding() throws {
        let decoded = try MembersReport(decoding: report.encoded()[...])
        #expect(decoded == report)
    }

    @Test func encodesFieldsByNumber() {
        let info = MemberInfo(name: "a", address: "h:1", status: "suspect", incarnation: 2, services: ["s"])
        // {1:"a", 2:"h:1", 3:"suspect", 4:2, 5:"s"}
        #expect(
            info.encoded() == [0x0A, 1, 0x61, 0x12, 3, 0x68, 0x3A, 0x31, 0x1A, 7] + Array("suspect".utf8)
                + [0x20, 2, 0x2A, 1, 0x73])
    }

    @Test func rendersAnAlignedTable() {
        #expect(
            report.rendered() == [
                "NAME     ADDRESS         STATUS  INCARNATION  SERVICES",
                "node-1   127.0.0.1:7400  alive   7            orders",
                "node-22  127.0.0.2:7400  dead    0            ",
            ])
    }
}
