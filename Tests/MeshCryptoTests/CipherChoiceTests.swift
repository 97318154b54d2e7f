import MeshCore
import MeshWire
import NIOCore
import Testing

@testable import MeshCrypto

/// The pure handshakes' cipher choice (proto-spec/handshake.md, "Cipher choice") and the AES key usage limit.
@Suite struct CipherChoiceTests {
    static let both: [FrameCipher] = [.aes256GCM, .chacha20Poly1305]

    func handshake(client: [FrameCipher], server: [FrameCipher]) throws -> (SessionKeys, SessionKeys) {
        var c = ClientHandshake(identity: Fixtures.client, now: Fixtures.now, ciphers: client)
        var s = ServerHandshake(identity: Fixtures.server, now: Fixtures.now, ciphers: server)
        let welcome = try s.receiveHello(c.hello()[...])
        let (auth, clientKeys, _) = try c.receiveWelcome(welcome[...])
        return (clientKeys, try s.receiveAuth(auth[...]).keys)
    }

    @Test func theServersFirstPreferenceAmongTheOfferWins() throws {
        try #require(FrameCipher.aes256GCM.isAvailable)
        #expect(try handshake(client: Self.both, server: Self.both).0.cipher == .aes256GCM)
        #expect(try handshake(client: [.chacha20Poly1305, .aes256GCM], server: Self.both).1.cipher == .aes256GCM)
        #expect(
            try handshake(client: Self.both, server: [.chacha20Poly1305, .aes256GCM]).0.cipher == .chacha20Poly1305)
        #expect(try handshake(client: Self.both, server: [.chacha20Poly1305]).1.cipher == .chacha20Poly1305)
        #expect(try handshake(client: [.chacha20Poly1305], server: Self.both).0.cipher == .chacha20Poly1305)
    }

    @Test func aChachaOnlyHelloAndWelcomeCarryNoCipherField() throws {
        var c = ClientHandshake(identity: Fixtures.client, now: Fixtures.now, ciphers: [.chacha20Poly1305])
        let hello = c.hello()
        #expect(try HelloMessage(decoding: hello[...]).ciphers == [.chacha20Poly1305])
        var r = PayloadReader(hello[...])
        var numbers: [Int] = []
        while let f = try r.next() { numbers.append(f.number) }
        #expect(numbers == [1, 2, 3, 4])
    }

    @Test func noCipherInCommonIsRefusedByTheServer() throws {
        try #require(FrameCipher.aes256GCM.isAvailable)
        #expect {
            _ = try handshake(client: [.aes256GCM], server: [.chacha20Poly1305])
        } throws: { ($0 as? CryptoError)?.code == .noCommonCipher }
    }

    @Test func unknownCipherNumbersAreSkippedAndAnOfferOfOnlyUnknownOnesIsRefused() throws {
        var c = ClientHandshake(identity: Fixtures.client, now: Fixtures.now, ciphers: [.chacha20Poly1305])
        let base = c.hello()
        // Field 5 = 99 (unknown) then 1: the server skips 99 and chooses ChaCha20-Poly1305.
        var s = ServerHandshake(identity: Fixtures.server, now: Fixtures.now)
        #expect(try HelloMessage(decoding: (base + [0x28, 99, 0x28, 1])[...]).ciphers == [.chacha20Poly1305])
        _ = try s.receiveHello((base + [0x28, 99, 0x28, 1])[...])
        var s2 = ServerHandshake(identity: Fixtures.server, now: Fixtures.now)
        #expect {
            _ = try s2.receiveHello((base + [0x28, 99])[...])
        } throws: { ($0 as? CryptoError)?.code == .noCommonCipher }
    }

    /// A validly signed welcome that chooses a cipher the client never offered (a broken server) is refused.
    @Test func aWelcomeChoosingAnUnofferedCipherIsRefused() throws {
        try #require(FrameCipher.aes256GCM.isAvailable)
        var c = ClientHandshake(identity: Fixtures.client, now: Fixtures.now, ciphers: [.chacha20Poly1305])
        let hello = c.hello()
        let core = WelcomeCore(
            ephemeralPublicKey: EphemeralKeyPair(secret: Fixtures.serverEphemeralSecret).publicKey,
            nonce: Fixtures.serverNonce, certificate: Fixtures.server.certificate, cipher: .aes256GCM
        ).encoded()
        let th2 = HandshakeTranscript.th2(clusterID: Fixtures.ca.trust.clusterID, hello: hello, welcomeCore: core)
        let signature = Fixtures.server.keyPair.sign(HandshakeTranscript.serverSignatureContext + th2)
        let welcome = HandshakeTranscript.appendSignature(
            signature, field: HandshakeTranscript.welcomeSignatureField, to: core)
        #expect {
            _ = try c.receiveWelcome(welcome[...])
        } throws: { ($0 as? CryptoError)?.code == .noCommonCipher }
    }

    @Test func aesSealsRoundTripAndOnlyOpenWithTheSameCipher() throws {
        try #require(FrameCipher.aes256GCM.isAvailable)
        let key = Array(repeating: UInt8(0x42), count: 32)
        var sealer = FrameSealer(key: key, cipher: .aes256GCM)
        var aes = FrameOpener(key: key, cipher: .aes256GCM)
        var chacha = FrameOpener(key: key, cipher: .chacha20Poly1305)
        for body in [[UInt8](), [1, 2, 3], Array(repeating: 7, count: 5000)] {
            var out = ByteBufferAllocator().buffer(capacity: 64)
            try sealer.seal(header: FrameHeader(type: .request, streamID: 3), plaintext: body, into: &out)
            let frame = try #require(try FrameDecoder().decode(buffer: &out))
            #expect(Array(try aes.open(frame).readableBytesView) == body)
        }
        var out = ByteBufferAllocator().buffer(capacity: 64)
        try sealer.seal(header: FrameHeader(type: .request, streamID: 5), plaintext: [9], into: &out)
        let frame = try #require(try FrameDecoder().decode(buffer: &out))
        #expect { try chacha.open(frame) } throws: { ($0 as? CryptoError)?.code == .frameAuthenticationFailed }
        #expect(sealer.sealedBytes == 5004)
    }

    @Test func aesKeysAskForRenewalAt15SixteenthsAndRefuseBeyondTheLimit() throws {
        try #require(FrameCipher.aes256GCM.isAvailable)
        let key = Array(repeating: UInt8(1), count: 32)
        let limit = FrameCipher.aes256GCM.keyUsageLimitBytes
        #expect(limit == 1 << 36)
        let header = FrameHeader(type: .request, streamID: 1)
        var out = ByteBufferAllocator().buffer(capacity: 64)

        var early = FrameSealer(key: key, cipher: .aes256GCM, counter: 0, sealedBytes: limit - limit / 16 - 11)
        #expect(!early.shouldRenewKeys)
        try early.seal(header: header, plaintext: Array(repeating: 0, count: 10), into: &out)
        #expect(!early.shouldRenewKeys)
        try early.seal(header: header, plaintext: [0], into: &out)
        #expect(early.shouldRenewKeys)

        var last = FrameSealer(key: key, cipher: .aes256GCM, counter: 0, sealedBytes: limit - 4)
        try last.seal(header: header, plaintext: [1, 2, 3, 4], into: &out)
        #expect { try last.seal(header: header, plaintext: [5], into: &out) } throws: {
            ($0 as? CryptoError)?.code == .nonceExhausted
        }
        #expect(last.sealedBytes == limit)

        let chacha = FrameSealer(key: key, cipher: .chacha20Poly1305, counter: 0, sealedBytes: limit * 1024)
        #expect(!chacha.shouldRenewKeys)
    }
}
