import MeshCore
import MeshCrypto
import MeshRPC
import MeshTransport
import MeshWire
import Testing

/// The handshake's cipher choice over real sockets: both ends seal with what was chosen, and calls work
/// whichever cipher it is (proto-spec/handshake.md, "Cipher choice").
@Suite("Frame cipher choice over a real loopback connection")
struct CipherChoiceTests {
    func callBothWays(server: [FrameCipher], client: [FrameCipher]) async throws -> (FrameCipher, FrameCipher) {
        try await withEventLoopGroup { group in
            let cluster = TestCluster()
            var serverConfig = TransportConfiguration()
            serverConfig.ciphers = server
            var clientConfig = TransportConfiguration()
            clientConfig.ciphers = client
            let serverTransport = MeshTransport(
                identity: cluster.identity("server-1"), router: Echo.router(), configuration: serverConfig,
                group: group, logger: testLogger)
            let clientTransport = MeshTransport(
                identity: cluster.identity("client-1"), router: Echo.router(), configuration: clientConfig,
                group: group, logger: testLogger)
            let address = try await serverTransport.listen(on: loopback())
            let connection = try await clientTransport.connection(to: address)
            let small = try await connection.call(Echo.inline, RawMessage([1, 2, 3]))
            let large = try await connection.call(Echo.async, RawMessage(Array(repeating: 9, count: 70_000)))
            #expect(small.bytes == [1, 2, 3])
            #expect(large.bytes == Array(repeating: 9, count: 70_000))
            // The server calls back over the same (inbound) connection: the other direction's key and cipher.
            let serverSide = try #require(serverTransport.connections.first { $0.peer.name == "client-1" })
            let back = try await serverSide.call(Echo.inline, RawMessage([4]))
            #expect(back.bytes == [4])
            await clientTransport.shutdown()
            await serverTransport.shutdown()
            return (connection.cipher, serverSide.cipher)
        }
    }

    @Test func aesIsChosenWhenBothOfferIt() async throws {
        try #require(FrameCipher.aes256GCM.isAvailable, "this CPU lacks AES-NI; the AES path cannot run here")
        let (client, server) = try await callBothWays(
            server: [.aes256GCM, .chacha20Poly1305], client: [.aes256GCM, .chacha20Poly1305])
        #expect(client == .aes256GCM && server == .aes256GCM)
    }

    @Test func chachaWhenTheServerAcceptsOnlyChacha() async throws {
        let (client, server) = try await callBothWays(server: [.chacha20Poly1305], client: FrameCipher.supported)
        #expect(client == .chacha20Poly1305 && server == .chacha20Poly1305)
    }

    @Test func chachaWhenTheClientOffersOnlyChacha() async throws {
        let (client, server) = try await callBothWays(server: FrameCipher.supported, client: [.chacha20Poly1305])
        #expect(client == .chacha20Poly1305 && server == .chacha20Poly1305)
    }

    @Test func serverPreferenceWinsOverClientOrder() async throws {
        try #require(FrameCipher.aes256GCM.isAvailable, "this CPU lacks AES-NI; the AES path cannot run here")
        let (client, server) = try await callBothWays(
            server: [.chacha20Poly1305, .aes256GCM], client: [.aes256GCM, .chacha20Poly1305])
        #expect(client == .chacha20Poly1305 && server == .chacha20Poly1305)
    }

    /// framing.md, "Phases": after the handshake every body is sealed with the cipher it chose. A raw client
    /// offering one cipher gets it, opens the server's settings and response with it, and the length prefix
    /// counts 8 + plaintext + 16 for both ciphers.
    @Test(arguments: FrameCipher.supported)
    func aRawPeerOfferingOneCipherIsSealedWithIt(_ cipher: FrameCipher) async throws {
        try await withEventLoopGroup { group in
            let h = try await BadInputTests.Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            let keys = try raw.handshake(as: h.cluster.identity("client-raw"), now: wallNow(), ciphers: [cipher])
            #expect(keys.cipher == cipher)
            raw.send(try TrustAndTamperTests.echoRequest(raw, stream: 1))
            let frame = try raw.readFrame()
            let plaintext = try raw.open(frame)
            #expect(frame.lengthPrefix == UInt32(8 + plaintext.count + 16))
            #expect(try ResponseHead(decoding: plaintext[...]).payload == [1, 2, 3, 4])
            await h.stop()
        }
    }
}
