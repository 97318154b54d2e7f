import MeshMembership
import MeshTestKit
import MeshWire
import Testing

/// Checks the byte vectors in proto-spec/vectors/membership.txt against the Swift encoders.
@Suite("Membership wire vectors")
struct WireVectorTests {
    static func isReject(_ v: SpecVector) -> Bool { v.name.contains(".reject.") }

    static let minimal = MemberMetadata(name: "a", rpcAddress: "10.0.0.1:7946")
    static let aliveA = MemberUpdate.alive(minimal, incarnation: 3)
    static let suspectB = MemberUpdate(kind: .suspect, name: "b", incarnation: 7, source: "a")
    static let deadB = MemberUpdate(kind: .dead, name: "b", incarnation: 7, source: "c")
    static let leftA = MemberUpdate(kind: .left, name: "a", incarnation: 0)
    /// The digest of members a (incarnation 3), b (7) and c (0).
    static let digestABC: StateDigest = {
        var digest = StateDigest()
        digest.add(name: "a", incarnation: 3)
        digest.add(name: "b", incarnation: 7)
        digest.add(name: "c", incarnation: 0)
        return digest
    }()

    static let expected: [String: any WireMessage & Equatable] = [
        "MemberMetadata.minimal": minimal,
        "MemberMetadata.full": MemberMetadata(
            name: "orders-1", rpcAddress: "10.0.0.7:7946", services: ["orders", "billing"],
            subscriptions: ["order.created"], buildVersion: "0.1.0", tags: ["zone": "eu-1", "tier": "gold"],
            publicKey: Array(0..<32)),
        "MemberUpdate.alive": aliveA,
        "MemberUpdate.suspect": suspectB,
        "MemberUpdate.dead": deadB,
        "MemberUpdate.left": leftA,
        "SWIMMessage.ping": SWIMMessage.ping(sequence: 1, target: "b", gossip: [suspectB]),
        "SWIMMessage.ack": SWIMMessage.ack(sequence: 300, gossip: []),
        "SWIMMessage.pingRequest": SWIMMessage.pingRequest(
            sequence: 2, target: "c", targetAddress: "10.0.0.3:7946",
            gossip: []),
        "SWIMMessage.nack": SWIMMessage.nack(sequence: 2),
        "SWIMMessage.gossip": SWIMMessage.gossip([aliveA, deadB]),
        "SWIMMessage.pushPull": SWIMMessage.pushPull(state: [aliveA, leftA], isReply: true),
        "SWIMMessage.syncOfferRoot": SWIMMessage.syncOffer(digest: [digestABC.root], gossip: []),
        "SWIMMessage.syncOfferFull": SWIMMessage.syncOffer(digest: digestABC.buckets, gossip: [aliveA]),
        "SWIMMessage.syncBuckets": SWIMMessage.syncBuckets(mask: 1 << 12 | 1 << 37, entries: [aliveA, deadB]),
        "SWIMMessage.syncEntries": SWIMMessage.syncEntries([aliveA]),
    ]

    /// Decodes `bytes` as the message the vector's name starts with.
    static func decode(_ name: String, _ bytes: [UInt8]) throws -> any WireMessage {
        switch name.prefix { $0 != "." } {
        case "MemberMetadata": return try MemberMetadata(decoding: bytes)
        case "MemberUpdate": return try MemberUpdate(decoding: bytes)
        case "SWIMMessage": return try SWIMMessage(decoding: bytes)
        default: throw SpecVectors.FormatError(description: "\(name) names no membership message")
        }
    }

    static func same<M: WireMessage & Equatable>(_ value: M, _ other: any WireMessage) -> Bool {
        (other as? M) == value
    }

    @Test("every valid vector encodes to its bytes and decodes back to its value")
    func validVectors() throws {
        let vectors = try SpecVectors.load("membership.txt").filter { !Self.isReject($0) }
        #expect(Set(vectors.map(\.name)) == Set(Self.expected.keys))
        for vector in vectors {
            let value = try #require(Self.expected[vector.name])
            #expect(value.encoded() == vector.bytes, "\(vector.name) encodes differently")
            let decoded = try Self.decode(vector.name, vector.bytes)
            let matches = Self.same(value, decoded)
            #expect(matches, "\(vector.name) decodes differently")
        }
    }

    @Test("every reject vector fails with the WireError code its name gives")
    func invalidVectors() throws {
        let vectors = try SpecVectors.load("membership.txt").filter(Self.isReject)
        #expect(vectors.count == 6)
        for vector in vectors {
            let code = try #require(SpecVectors.rejectCode(vector.name), "\(vector.name) names no WireError code")
            do {
                _ = try Self.decode(vector.name, vector.bytes)
                Issue.record("\(vector.name) decoded but should fail")
            } catch let error as WireError {
                #expect(error.code == code, "\(vector.name): \(error)")
            }
        }
    }

    @Test("the digest vector's buckets: a, b and c land in buckets 12, 37 and 50")
    func digestBuckets() {
        #expect(
            [StateDigest.bucket(of: "a"), StateDigest.bucket(of: "b"), StateDigest.bucket(of: "c")]
                == [Int]([12, 37, 50]))
        #expect(Self.digestABC.buckets[12] == 0xD095_D598_6984_CB74)
        #expect(Self.digestABC.buckets.enumerated().filter { $0.element != 0 }.map(\.offset) == [Int]([12, 37, 50]))
        #expect(Self.digestABC.root == 0xA022_2997_C5CA_7A06)
    }

    @Test("a message with unknown fields still decodes (forward compatibility)")
    func unknownFieldsSkipped() throws {
        var writer = PayloadWriter()
        writer.message(4) { body in
            body.uint(1, 9)
            body.string(15, "from a newer peer")
        }
        writer.uint(20, 1)
        #expect(try SWIMMessage(decoding: writer.bytes) == .nack(sequence: 9))
    }
}
