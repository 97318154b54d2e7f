import MeshCore
import MeshCrypto
import MeshRPC
import MeshTransport
import MeshWire
import NIOCore
import NIOPosix
import Testing

/// Trust failures and tampered sealed frames over real sockets. The server logs a clear error,
/// closes that connection, and keeps serving others.
@Suite("Trust and tampering over real sockets")
struct TrustAndTamperTests {
    typealias Harness = BadInputTests.Harness

    @Test func aNodeOfAnotherClusterIsRefused() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let stranger = TestCluster(name: "other-cluster").identity("stranger")
            let raw = try RawPeer(connectingTo: h.address)
            #expect(throws: (any Error).self) { _ = try raw.handshake(as: stranger, now: wallNow()) }
            let e = try await h.serverError()
            #expect(e.code == .handshakeFailed)
            #expect((e.cause as? CryptoError)?.code == .wrongCluster)
            try await h.expectStillServing()
            await h.stop()
        }
    }

    @Test func aCertificateFromAnotherCAWithTheSameClusterNameIsRefused() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            // Same cluster name, different CA key: the cluster id differs, and so does the issuer.
            let impostorCA = ClusterCA(clusterName: "test-cluster", keyPair: .generate())
            let impostor = NodeIdentity.development(name: "impostor", roles: ["admin"], ca: impostorCA)
            let raw = try RawPeer(connectingTo: h.address)
            #expect(throws: (any Error).self) { _ = try raw.handshake(as: impostor, now: wallNow()) }
            let e = try await h.serverError()
            #expect(e.code == .handshakeFailed)
            try await h.expectStillServing()
            await h.stop()
        }
    }

    @Test func anExpiredCertificateIsRefused() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let key = SigningKeyPair.generate()
            let now = wallNow().secondsSinceEpoch
            let cert = h.cluster.ca.issue(
                name: "old-node", publicKey: key.publicKey, roles: [],
                notBefore: WallTime(secondsSinceEpoch: now - 7200),
                notAfter: WallTime(secondsSinceEpoch: now - 3600))
            let expired = NodeIdentity(keyPair: key, certificate: cert, trust: h.cluster.ca.trust)
            let raw = try RawPeer(connectingTo: h.address)
            #expect(throws: (any Error).self) { _ = try raw.handshake(as: expired, now: wallNow()) }
            let e = try await h.serverError()
            #expect(e.code == .handshakeFailed)
            #expect((e.cause as? CryptoError)?.code == .certificateExpired)
            try await h.expectStillServing()
            await h.stop()
        }
    }

    @Test func aCertificateForAnotherKeyIsRefused() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let certifiedKey = SigningKeyPair.generate()
            let now = wallNow().secondsSinceEpoch
            let cert = h.cluster.ca.issue(
                name: "thief", publicKey: certifiedKey.publicKey, roles: [],
                notBefore: WallTime(secondsSinceEpoch: now - 60),
                notAfter: WallTime(secondsSinceEpoch: now + 3600))
            // Presents a valid certificate but signs the handshake with a different key.
            let mismatched = NodeIdentity(keyPair: .generate(), certificate: cert, trust: h.cluster.ca.trust)
            let raw = try RawPeer(connectingTo: h.address)
            #expect(throws: (any Error).self) { _ = try raw.handshake(as: mismatched, now: wallNow()) }
            let e = try await h.serverError()
            #expect(e.code == .handshakeFailed)
            #expect((e.cause as? CryptoError)?.code == .badHandshakeSignature)
            try await h.expectStillServing()
            await h.stop()
        }
    }

    /// A valid sealed request, ready to be tampered with.
    static func echoRequest(_ raw: RawPeer, stream: UInt32 = 1) throws -> [UInt8] {
        try raw.seal(
            .request, body: RequestHead(method: Echo.inline.path, payload: [1, 2, 3, 4]).encoded(), stream: stream)
    }

    /// Sends an echo request on `stream` and expects its answer as the next frame: the connection still serves.
    static func expectEchoAnswered(_ raw: RawPeer, stream: UInt32, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        raw.send(try echoRequest(raw, stream: stream))
        let (header, body) = try raw.openNext()
        #expect(header.type == .response, sourceLocation: sourceLocation)
        #expect(header.streamID == stream, sourceLocation: sourceLocation)
        #expect(try ResponseHead(decoding: body).payload == [1, 2, 3, 4], sourceLocation: sourceLocation)
    }

    @Test(arguments: [0, 3, 4, 5, 6, 8, 11, 12, 20, 27, 31])
    func oneFlippedBitAnywhereInASealedFrameIsRejected(byteIndex: Int) async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            _ = try raw.handshake(as: h.cluster.identity("client-raw"), now: wallNow())
            var frame = try Self.echoRequest(raw)
            let index = min(byteIndex, frame.count - 1)
            frame[index] ^= 0x01
            raw.send(frame)
            #expect(await raw.awaitClose().closed)
            let e = try await h.serverError()
            // A flip in the length prefix makes the frame too large or misaligned: rejected either way.
            #expect(e.code == .authenticationFailed || e.code == .frameRejected)
            if index >= 4 { #expect(e.code == .authenticationFailed) }
            try await h.expectStillServing()
            await h.stop()
        }
    }

    @Test func theSameSealedFrameSentTwiceIsRejectedAsAReplay() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            _ = try raw.handshake(as: h.cluster.identity("client-raw"), now: wallNow())
            let frame = try Self.echoRequest(raw)
            raw.send(frame)
            let (header, body) = try raw.openNext()
            #expect(header.type == .response)
            #expect(try ResponseHead(decoding: body).payload == [1, 2, 3, 4])
            raw.send(frame)  // replay
            #expect(await raw.awaitClose().closed)
            let e = try await h.serverError()
            #expect(e.code == .authenticationFailed)
            try await h.expectStillServing()
            await h.stop()
        }
    }

    @Test func reorderedSealedFramesAreRejected() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            _ = try raw.handshake(as: h.cluster.identity("client-raw"), now: wallNow())
            let first = try Self.echoRequest(raw, stream: 1)
            let second = try Self.echoRequest(raw, stream: 3)
            raw.send(second)
            raw.send(first)
            #expect(await raw.awaitClose().closed)
            let e = try await h.serverError()
            #expect(e.code == .authenticationFailed)
            try await h.expectStillServing()
            await h.stop()
        }
    }

    @Test func aSealedFrameCutShortIsRejected() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            _ = try raw.handshake(as: h.cluster.identity("client-raw"), now: wallNow())
            var frame = try Self.echoRequest(raw)
            // Drop the last 4 bytes and fix up the length prefix so the frame parses: the tag no longer verifies.
            frame.removeLast(4)
            let length = UInt32(frame.count - 4)
            frame.replaceSubrange(0..<4, with: withUnsafeBytes(of: length.bigEndian) { Array($0) })
            raw.send(frame)
            #expect(await raw.awaitClose().closed)
            let e = try await h.serverError()
            #expect(e.code == .authenticationFailed)
            try await h.expectStillServing()
            await h.stop()
        }
    }

    @Test func anUnknownFrameTypeAfterTheHandshakeIsRejected() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            _ = try raw.handshake(as: h.cluster.identity("client-raw"), now: wallNow())
            raw.send(try raw.seal(.ping, body: [], rawType: 0x7E))
            let e = try await h.serverError()
            #expect(e.code == .frameRejected)
            #expect(e.message == "frame type 0x7e is not defined in version 1")
            try await h.expectStillServing()
            await h.stop()
        }
    }

    @Test func anUnknownVersionAfterTheHandshakeIsRejected() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            _ = try raw.handshake(as: h.cluster.identity("client-raw"), now: wallNow())
            raw.send(try raw.seal(.ping, body: PingBody(opaque: 1).encoded(), version: 2))
            let e = try await h.serverError()
            #expect(e.code == .frameRejected)
            #expect(e.message == "frame has protocol version 2; this peer speaks version 1")
            try await h.expectStillServing()
            await h.stop()
        }
    }
}
