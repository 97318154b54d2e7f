import MeshCore
import MeshCrypto
import MeshRPC
import MeshTransport
import MeshWire
import NIOCore
import NIOPosix
import Testing

/// handshake.md, "Failure": a refused hello or auth is answered with one plaintext goAway (stream 0,
/// `lastStreamID` 0, status `unauthenticated`) whose message is `<CryptoError code>: <detail>`, then the close.
/// framing.md: a defined frame type that is not the handshake's next step is `unexpectedHandshakeMessage`.
@Suite("Handshake refusals over real sockets")
struct HandshakeRefusalTests {
    typealias Harness = BadInputTests.Harness

    /// A client identity the server refuses at `auth`, and the `CryptoError` code it must name.
    struct RefusedIdentity: CustomTestStringConvertible, Sendable {
        var code: String
        var make: @Sendable (TestCluster) -> NodeIdentity
        var testDescription: String { code }
    }

    static let refusedIdentities: [RefusedIdentity] = [
        // Another CA with the same cluster name: the client's trust (so its hello's cluster id) is the server's.
        RefusedIdentity(code: "untrustedIssuer") { cluster in
            let other = ClusterCA(clusterName: "test-cluster", keyPair: .generate())
            return issued(by: other, trust: cluster.ca.trust)
        },
        // A certificate whose CA signature was tampered with.
        RefusedIdentity(code: "badCertificateSignature") { cluster in
            let genuine = issued(by: cluster.ca, trust: cluster.ca.trust)
            var signature = genuine.certificate.signature
            signature[0] ^= 1
            let forged = try! NodeCertificate(tbs: genuine.certificate.tbs, signature: signature)
            return NodeIdentity(keyPair: genuine.keyPair, certificate: forged, trust: cluster.ca.trust)
        },
        // The cluster's CA key, but a certificate for another cluster name.
        RefusedIdentity(code: "wrongCluster") { cluster in
            let renamed = ClusterCA(clusterName: "other-cluster", keyPair: cluster.ca.keyPair)
            return issued(by: renamed, trust: cluster.ca.trust)
        },
        RefusedIdentity(code: "certificateExpired") { cluster in
            issued(by: cluster.ca, trust: cluster.ca.trust, validFrom: -7200, until: -3600)
        },
        RefusedIdentity(code: "certificateNotYetValid") { cluster in
            issued(by: cluster.ca, trust: cluster.ca.trust, validFrom: 3600, until: 7200)
        },
        // A valid certificate presented by a node holding another key: the auth signature does not verify.
        RefusedIdentity(code: "badHandshakeSignature") { cluster in
            let genuine = issued(by: cluster.ca, trust: cluster.ca.trust)
            return NodeIdentity(keyPair: .generate(), certificate: genuine.certificate, trust: cluster.ca.trust)
        },
    ]

    /// An identity for `client-x` certified by `ca`, valid from `validFrom` to `until` seconds from now.
    static func issued(by ca: ClusterCA, trust: ClusterTrust, validFrom: Int64 = -60, until: Int64 = 3600)
        -> NodeIdentity
    {
        let key = SigningKeyPair.generate()
        let now = wallNow().secondsSinceEpoch
        let cert = ca.issue(
            name: "client-x", publicKey: key.publicKey, roles: [],
            notBefore: WallTime(secondsSinceEpoch: now + validFrom), notAfter: WallTime(secondsSinceEpoch: now + until))
        return NodeIdentity(keyPair: key, certificate: cert, trust: trust)
    }

    /// The goAway is plaintext, on stream 0, names no stream, says `unauthenticated`, and its message is the
    /// server's `CryptoError` (code name first), which is `code`.
    static func expectRefusal(
        _ header: FrameHeader, _ body: GoAwayBody, code: String, by h: Harness,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(header == FrameHeader(type: .goAway, streamID: 0), sourceLocation: sourceLocation)
        #expect(body.lastStreamID == 0, sourceLocation: sourceLocation)
        #expect(body.status.code == .unauthenticated, sourceLocation: sourceLocation)
        #expect(body.status.message.hasPrefix("\(code): "), "\(body.status.message)", sourceLocation: sourceLocation)
        let e = try await h.serverError()
        let crypto = try #require(e.cause as? CryptoError, sourceLocation: sourceLocation)
        #expect("\(crypto.code)" == code, sourceLocation: sourceLocation)
        #expect(body.status.message == "\(crypto.code): \(crypto.message)", sourceLocation: sourceLocation)
    }

    @Test(arguments: refusedIdentities)
    func aRefusedCertificateIsNamedInAPlainGoAway(_ refused: RefusedIdentity) async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            let (header, body) = try raw.handshakeRefused(as: refused.make(h.cluster), now: wallNow())
            try await Self.expectRefusal(header, body, code: refused.code, by: h)
            #expect(await raw.awaitClose() == ([], true))
            try await h.expectStillServing()
            await h.stop()
        }
    }

    /// A hello the server refuses, built field by field (handshake.md, "Server, on hello").
    struct RefusedHello: CustomTestStringConvertible, Sendable {
        var code: String
        var message: String?
        var version: UInt64 = 1
        var otherCluster = false
        var ephemeralKey = SigningKeyPair.generate().publicKey  // any 32 bytes that are not a low-order point
        var nonce = [UInt8](repeating: 7, count: 32)
        var ciphers: [UInt64] = []
        var testDescription: String { code }

        func body(_ cluster: TestCluster) -> [UInt8] {
            var w = PayloadWriter()
            w.uint(1, version)
            w.bytes(
                2, otherCluster ? TestCluster(name: "other-cluster").ca.trust.clusterID : cluster.ca.trust.clusterID)
            w.bytes(3, ephemeralKey)
            w.bytes(4, nonce)
            for c in ciphers { w.uint(5, c) }
            return w.bytes
        }
    }

    static let refusedHellos: [RefusedHello] = [
        RefusedHello(
            code: "unsupportedVersion",
            message: "unsupportedVersion: peer speaks handshake version 2; this node speaks 1",
            version: 2),
        RefusedHello(code: "wrongCluster", otherCluster: true),
        RefusedHello(code: "noCommonCipher", ciphers: [99]),
        RefusedHello(
            code: "weakKeyAgreement",
            message: "weakKeyAgreement: X25519 with the peer's ephemeral key gives the all-zero secret",
            ephemeralKey: [UInt8](repeating: 0, count: 32)),
        RefusedHello(
            code: "malformedHandshake", message: "malformedHandshake: hello field 4 (nonce) is missing or not 32 bytes",
            nonce: [UInt8](repeating: 7, count: 16)),
    ]

    @Test(arguments: refusedHellos)
    func aRefusedHelloIsNamedInAPlainGoAway(_ hello: RefusedHello) async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            raw.send(RawPeer.plainFrame(.hello, body: hello.body(h.cluster)))
            let (header, body) = try raw.readPlainGoAway()
            try await Self.expectRefusal(header, body, code: hello.code, by: h)
            if let message = hello.message { #expect(body.status.message == message) }
            #expect(await raw.awaitClose() == ([], true))
            try await h.expectStillServing()
            await h.stop()
        }
    }

    /// framing.md, "Errors that close the connection": in the handshake phase a defined frame type that is not
    /// the next handshake step is `unexpectedHandshakeMessage` (status `unauthenticated`), and a handshake frame on
    /// a stream other than 0 is `malformedHandshake`.
    @Test func aFrameThatIsNotTheNextHandshakeStepIsUnexpected() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let ping = try RawPeer(connectingTo: h.address)
            ping.send(RawPeer.plainFrame(.ping, body: PingBody(opaque: 1).encoded()))
            let (header, body) = try ping.readPlainGoAway()
            try await Self.expectRefusal(header, body, code: "unexpectedHandshakeMessage", by: h)
            #expect(
                body.status.message == "unexpectedHandshakeMessage: ping frame during the handshake (awaitingHello)")
            #expect(await ping.awaitClose() == ([], true))
            await h.stop()
        }
    }

    @Test func aSecondHelloIsUnexpected() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            var hs = ClientHandshake(identity: h.cluster.identity("client-raw"), now: wallNow())
            raw.send(RawPeer.plainFrame(.hello, body: hs.hello()))
            #expect(try raw.readFrame().header.type == .welcome)
            raw.send(RawPeer.plainFrame(.hello, body: hs.hello()))
            let (header, body) = try raw.readPlainGoAway()
            try await Self.expectRefusal(header, body, code: "unexpectedHandshakeMessage", by: h)
            #expect(
                body.status.message == "unexpectedHandshakeMessage: hello frame during the handshake (awaitingAuth)")
            await h.stop()
        }
    }

    @Test func aHelloOnAnotherStreamIsMalformed() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            var hs = ClientHandshake(identity: h.cluster.identity("client-raw"), now: wallNow())
            raw.send(RawPeer.plainFrame(.hello, body: hs.hello(), stream: 3))
            let (header, body) = try raw.readPlainGoAway()
            try await Self.expectRefusal(header, body, code: "malformedHandshake", by: h)
            #expect(body.status.message == "malformedHandshake: hello frame on stream 3; the handshake uses stream 0")
            await h.stop()
        }
    }

    /// handshake.md, "Client, on welcome": a client refuses a welcome with the same plaintext goAway, sent in place
    /// of its auth — here a server presenting another name than the one the client dialled.
    @Test func aClientRefusesAWelcomeWithAPlainGoAway() async throws {
        try await withEventLoopGroup { group in
            let cluster = TestCluster()
            let client = MeshTransport(
                identity: cluster.identity("client-1"), router: ServiceRouter(), group: group, logger: testLogger)
            let listener = try RawListener()
            let port = listener.port
            let scripted = UncheckedBox(listener)
            let serverIdentity = cluster.identity("server-raw")
            async let refusal = onOwnThread {
                Result { () throws -> (FrameHeader, GoAwayBody, Bool) in
                    let raw = try scripted.value.accept()
                    var hs = ServerHandshake(identity: serverIdentity, now: wallNow())
                    let hello = try raw.readFrame()
                    raw.send(
                        RawPeer.plainFrame(
                            .welcome, body: try hs.receiveHello(Array(hello.body.readableBytesView)[...])))
                    let (header, body) = try raw.readPlainGoAway()
                    return (header, body, raw.readUntilClosed() == ([], true))
                }
            }
            let error = await #expect(throws: RPCError.self) {
                try await client.connect(to: loopback(port), expectedPeerName: "server-1")
            }
            #expect(error?.code == .unauthenticated)
            let (header, body, closed) = try await refusal.get()
            #expect(header == FrameHeader(type: .goAway, streamID: 0))
            #expect(
                body
                    == GoAwayBody(
                        lastStreamID: 0,
                        status: RPCStatus(
                            code: .unauthenticated,
                            message: "peerNameMismatch: connected to 'server-raw' but expected 'server-1'")))
            #expect(closed)
            await client.shutdown()
        }
    }

    /// framing.md, "Phases": the server's first sealed frame is `settings`, so a client that gets a goAway
    /// instead knows it is the plaintext refusal of its auth, and reports the server's reason.
    @Test func aClientWhoseAuthIsRefusedReportsTheServersReason() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let expired = RefusedIdentity.expired(h.cluster)
            let client = MeshTransport(identity: expired, router: ServiceRouter(), group: group, logger: testLogger)
            let error = await #expect(throws: RPCError.self) { try await client.connect(to: h.address) }
            #expect(error?.code == .unauthenticated)
            #expect(
                error?.message.contains(
                    "handshakeFailed: peer refused the handshake: unauthenticated: certificateExpired: certificate of 'client-x' expired at "
                ) == true, "\(error?.message ?? "")")
            await client.shutdown()
            try await h.expectStillServing()
            await h.stop()
        }
    }
}

extension HandshakeRefusalTests.RefusedIdentity {
    static func expired(_ cluster: TestCluster) -> NodeIdentity {
        HandshakeRefusalTests.refusedIdentities.first { $0.code == "certificateExpired" }!.make(cluster)
    }
}
