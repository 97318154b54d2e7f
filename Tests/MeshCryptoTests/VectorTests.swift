import Foundation
import MeshCore
import MeshWire
import NIOCore
import Testing

@testable import MeshCrypto

/// The files in proto-spec/vectors/ are loaded and every value is checked byte for byte against what
/// this implementation computes; then the file's own bytes are fed to the state machines.
/// Run with `MESH_WRITE_VECTORS=1` to regenerate the files.
@Suite(.serialized) struct VectorTests {
    static let regenerate = ProcessInfo.processInfo.environment["MESH_WRITE_VECTORS"] == "1"

    private func check(_ book: VectorFile, file: String) throws -> [String: [UInt8]] {
        if Self.regenerate { try book.write(file) }
        let loaded = try VectorFile.load(file)
        #expect(loaded.map(\.name) == book.entries.map(\.name), "\(file): names and order")
        for (entry, computed) in zip(loaded, book.entries) where entry.name == computed.name {
            #expect(hex(entry.bytes) == hex(computed.bytes), "\(file): \(entry.name)")
        }
        return Dictionary(loaded.map { ($0.name, $0.bytes) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func certificateVectorsMatchFile() throws {
        let v = try check(VectorBook.certificate(), file: VectorBook.certificateFile)
        let cert = try NodeCertificate(decoding: try #require(v["server-cert"]))
        #expect(cert.body.name == "server-1")
        #expect(cert.body.roles == ["inventory"])
        #expect(cert.body.notBefore == 1_700_000_000 && cert.body.notAfter == 1_900_000_000)
        #expect(cert.tbs == v["server-cert-tbs"])
        let trust = ClusterTrust(clusterName: "vector-cluster", caPublicKey: try #require(v["ca-public-key"]))
        #expect(trust.clusterID == v["cluster-id"])
        try trust.verify(cert, now: Fixtures.now)
        try trust.verify(try NodeCertificate(decoding: try #require(v["client-cert"])), now: Fixtures.now)
    }

    @Test func handshakeVectorsMatchFileAndDriveTheStateMachines() throws {
        let v = try check(VectorBook.handshake(), file: VectorBook.handshakeFile)
        let hello = try #require(v["hello"])
        let welcome = try #require(v["welcome"])
        let auth = try #require(v["auth"])
        var server = Fixtures.serverHandshake()
        #expect(try server.receiveHello(hello[...]) == welcome)
        var client = Fixtures.clientHandshake(expectedPeerName: "server-1")
        #expect(client.hello() == hello)
        let c = try client.receiveWelcome(welcome[...])
        #expect(c.auth == auth)
        let s = try server.receiveAuth(auth[...])
        #expect(s.keys.receive == v["key-c2s"] && s.keys.send == v["key-s2c"])
        #expect(c.keys.send == v["key-c2s"] && c.keys.receive == v["key-s2c"])
        var buffer = ByteBuffer(bytes: try #require(v["welcome-frame"]))
        let frame = try #require(try FrameDecoder().decode(buffer: &buffer))
        #expect(frame.header.type == .welcome && Array(frame.body.readableBytesView) == welcome)
    }

    @Test func sealedFrameVectorsMatchFileAndOpen() throws {
        let v = try check(VectorBook.sealedFrames(), file: VectorBook.sealedFrameFile)
        let hs = try VectorFile.load(VectorBook.handshakeFile)
        let keys = Dictionary(hs.map { ($0.name, $0.bytes) }, uniquingKeysWith: { a, _ in a })
        for direction in ["c2s", "s2c"] {
            var opener = FrameOpener(key: try #require(keys["key-\(direction)"]), cipher: .chacha20Poly1305)
            for counter in 0..<2 {
                var buffer = ByteBuffer(bytes: try #require(v["\(direction)-ping-\(counter)"]))
                let frame = try #require(try FrameDecoder().decode(buffer: &buffer))
                #expect(frame.header.type == .ping && frame.header.streamID == 0)
                let plain = try opener.open(frame)
                #expect(Array(plain.readableBytesView) == v["ping-body"])
                #expect(try PingBody(decoding: Array(plain.readableBytesView)).opaque == 42)
            }
        }
    }

    @Test func cipherChoiceVectorsMatchFileNegotiateAESAndOpen() throws {
        let v = try check(VectorBook.cipherChoice(), file: VectorBook.cipherChoiceFile)
        let both: [FrameCipher] = [.aes256GCM, .chacha20Poly1305]
        var server = Fixtures.serverHandshake(ciphers: both)
        let welcome = try server.receiveHello(try #require(v["hello"])[...])
        #expect(welcome == v["welcome"])
        var client = Fixtures.clientHandshake(expectedPeerName: "server-1", ciphers: both)
        #expect(client.hello() == v["hello"])
        let c = try client.receiveWelcome(welcome[...])
        #expect(c.keys.cipher == .aes256GCM && c.keys.send == v["key-c2s"] && c.keys.receive == v["key-s2c"])
        let s = try server.receiveAuth(c.auth[...])
        #expect(s.keys.cipher == .aes256GCM && s.keys.receive == v["key-c2s"])
        for direction in ["c2s", "s2c"] {
            var opener = FrameOpener(key: try #require(v["key-\(direction)"]), cipher: .aes256GCM)
            for counter in 0..<2 {
                var buffer = ByteBuffer(bytes: try #require(v["\(direction)-ping-\(counter)"]))
                let frame = try #require(try FrameDecoder().decode(buffer: &buffer))
                #expect(try PingBody(decoding: Array(opener.open(frame).readableBytesView)).opaque == 42)
            }
            // The same bytes do not open as ChaCha20-Poly1305: the cipher is part of what a frame is.
            var chacha = FrameOpener(key: try #require(v["key-\(direction)"]), cipher: .chacha20Poly1305)
            var buffer = ByteBuffer(bytes: try #require(v["\(direction)-ping-0"]))
            let frame = try #require(try FrameDecoder().decode(buffer: &buffer))
            #expect(throws: CryptoError.self) { try chacha.open(frame) }
        }
    }
}
