import Foundation
import MeshMembership
import MeshWire
import Testing

/// Checks the byte vectors in proto-spec/vectors/membership.txt against the Swift encoders.
@Suite("Membership wire vectors")
struct WireVectorTests {
    struct Vector {
        var name: String
        var errorCode: String?
        var bytes: [UInt8]
    }

    static func loadVectors() throws -> [Vector] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(
            contentsOf: root.appendingPathComponent("proto-spec/vectors/membership.txt"), encoding: .utf8)
        var vectors: [Vector] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let head = line[..<colon].split(separator: " ")
            let hex = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            var bytes: [UInt8] = []
            var index = hex.startIndex
            while index < hex.endIndex {
                let next = hex.index(index, offsetBy: 2)
                bytes.append(try #require(UInt8(hex[index..<next], radix: 16)))
                index = next
            }
            let name = String(head[0])
            if name.hasPrefix("!") {
                vectors.append(Vector(name: String(name.dropFirst()), errorCode: String(head[1]), bytes: bytes))
            } else {
                vectors.append(Vector(name: name, errorCode: nil, bytes: bytes))
            }
        }
        return vectors
    }

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
        "metadata.minimal": minimal,
        "metadata.full": MemberMetadata(
            name: "orders-1", rpcAddress: "10.0.0.7:7946", services: ["orders", "billing"],
            subscriptions: ["order.created"], buildVersion: "0.1.0", tags: ["zone": "eu-1", "tier": "gold"],
            publicKey: Array(0..<32)),
        "update.alive": aliveA,
        "update.suspect": suspectB,
        "update.dead": deadB,
        "update.left": leftA,
        "message.ping": SWIMMessage.ping(sequence: 1, target: "b", gossip: [suspectB]),
        "message.ack": SWIMMessage.ack(sequence: 300, gossip: []),
        "message.pingRequest": SWIMMessage.pingRequest(
            sequence: 2, target: "c", targetAddress: "10.0.0.3:7946",
            gossip: []),
        "message.nack": SWIMMessage.nack(sequence: 2),
        "message.gossip": SWIMMessage.gossip([aliveA, deadB]),
        "message.pushPull": SWIMMessage.pushPull(state: [aliveA, leftA], isReply: true),
        "message.syncOfferRoot": SWIMMessage.syncOffer(digest: [digestABC.root], gossip: []),
        "message.syncOfferFull": SWIMMessage.syncOffer(digest: digestABC.buckets, gossip: [aliveA]),
        "message.syncBuckets": SWIMMessage.syncBuckets(mask: 1 << 12 | 1 << 37, entries: [aliveA, deadB]),
        "message.syncEntries": SWIMMessage.syncEntries([aliveA]),
    ]

    static func decode(_ name: String, _ bytes: [UInt8]) throws(WireError) -> any WireMessage {
        if name.hasPrefix("metadata.") { return try MemberMetadata(decoding: bytes) }
        if name.hasPrefix("update.") { return try MemberUpdate(decoding: bytes) }
        return try SWIMMessage(decoding: bytes)
    }

    static func same<M: WireMessage & Equatable>(_ value: M, _ other: any WireMessage) -> Bool {
        (other as? M) == value
    }

    @Test("every valid vector encodes to its bytes and decodes back to its value")
    func validVectors() throws {
        let vectors = try Self.loadVectors().filter { $0.errorCode == nil }
        #expect(Set(vectors.map(\.name)) == Set(Self.expected.keys))
        for vector in vectors {
            let value = try #require(Self.expected[vector.name])
            #expect(value.encoded() == vector.bytes, "\(vector.name) encodes differently")
            let decoded = try Self.decode(vector.name, vector.bytes)
            let matches = Self.same(value, decoded)
            #expect(matches, "\(vector.name) decodes differently")
        }
    }

    @Test("every invalid vector fails with its error code")
    func invalidVectors() throws {
        let vectors = try Self.loadVectors().filter { $0.errorCode != nil }
        #expect(vectors.count == 6)
        for vector in vectors {
            do {
                _ = try Self.decode(vector.name, vector.bytes)
                Issue.record("\(vector.name) decoded but should fail")
            } catch {
                #expect(error.code.description == vector.errorCode, "\(vector.name): \(error)")
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
