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

    @Test func carriesVersionAndStatusAgeAsFields6And7() throws {
        let info = MemberInfo(
            name: "a", address: "h:1", status: "alive", incarnation: 0, services: [], version: "1.2",
            statusAge: .milliseconds(1500))
        // {1:"a", 2:"h:1", 3:"alive", 6:"1.2", 7:1500}
        #expect(
            info.encoded() == [0x0A, 1, 0x61, 0x12, 3, 0x68, 0x3A, 0x31, 0x1A, 5] + Array("alive".utf8)
                + [0x32, 3, 0x31, 0x2E, 0x32, 0x38, 0xDC, 0x0B])
        #expect(try MemberInfo(decoding: info.encoded()[...]) == info)
        // A report without fields 6 and 7 (an older node) decodes with an empty version and an unknown age.
        let old = try MemberInfo(decoding: [0x0A, 1, 0x61][...])
        #expect(old.version == "" && old.statusAge == nil)
    }
}
