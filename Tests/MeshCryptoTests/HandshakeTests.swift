import MeshCore
import MeshWire
import NIOCore
import Testing

@testable import MeshCrypto

/// The handshake state machines: success, and each refusal with its exact error code.
@Suite struct HandshakeTests {
    /// Runs hello → welcome → auth between the two sides and returns the first error, tagged by who raised it.
    enum Outcome {
        case success(client: (keys: SessionKeys, peer: PeerInfo), server: (keys: SessionKeys, peer: PeerInfo))
        case clientRefused(CryptoError)
        case serverRefused(CryptoError)

        var clientError: CryptoError.Code? { if case .clientRefused(let e) = self { e.code } else { nil } }
        var serverError: CryptoError.Code? { if case .serverRefused(let e) = self { e.code } else { nil } }
    }

    static func run(
        client clientIdentity: NodeIdentity = Fixtures.client, server serverIdentity: NodeIdentity = Fixtures.server,
        clientNow: WallTime = Fixtures.now, serverNow: WallTime = Fixtures.now, expectedPeerName: String? = nil
    ) -> Outcome {
        var client = ClientHandshake(identity: clientIdentity, now: clientNow, expectedPeerName: expectedPeerName)
        var server = ServerHandshake(identity: serverIdentity, now: serverNow)
        let welcome: [UInt8]
        do { welcome = try server.receiveHello(client.hello()[...]) } catch { return .serverRefused(error) }
        let c: (auth: [UInt8], keys: SessionKeys, peer: PeerInfo)
        do { c = try client.receiveWelcome(welcome[...]) } catch { return .clientRefused(error) }
        do {
            let s = try server.receiveAuth(c.auth[...])
            return .success(client: (c.keys, c.peer), server: s)
        } catch { return .serverRefused(error) }
    }

    @Test func fullHandshakeDerivesMatchingKeysAndAuthenticatesBothPeers() throws {
        guard case .success(let c, let s) = Self.run(expectedPeerName: "server-1") else {
            Issue.record("handshake failed")
            return
        }
        #expect(c.keys.send == s.keys.receive)
        #expect(c.keys.receive == s.keys.send)
        #expect(c.keys.send != c.keys.receive)
        #expect(c.keys.send.count == 32 && c.keys.receive.count == 32)
        #expect(c.peer.name == "server-1" && c.peer.roles == ["inventory"])
        #expect(s.peer.name == "client-1" && s.peer.roles == ["edge"])
        #expect(s.peer.publicKey == Fixtures.client.keyPair.publicKey)

        // The keys carry frames both ways.
        var clientSealer = c.keys.makeSealer()
        var serverOpener = s.keys.makeOpener()
        var serverSealer = s.keys.makeSealer()
        var clientOpener = c.keys.makeOpener()
        let decoder = FrameDecoder()
        var wire = ByteBuffer()
        let ping = FrameHeader(type: .ping, streamID: 0)
        try clientSealer.seal(header: ping, plaintext: ByteBuffer(bytes: [1]), into: &wire)
        let up = try serverOpener.open(try #require(try decoder.decode(buffer: &wire)))
        #expect(Array(up.readableBytesView) == [1])
        try serverSealer.seal(header: FrameHeader(type: .pong, streamID: 0), plaintext: up, into: &wire)
        #expect(Array(try clientOpener.open(try #require(try decoder.decode(buffer: &wire))).readableBytesView) == [1])
    }

    @Test func randomEphemeralsGiveFreshKeysPerConnection() throws {
        guard case .success(let a, _) = Self.run(), case .success(let b, _) = Self.run() else {
            Issue.record("handshake failed")
            return
        }
        #expect(a.keys.send != b.keys.send)
    }

    @Test func developmentIdentitiesHandshake() throws {
        let ca = ClusterCA(clusterName: "dev", keyPair: .generate())
        let now = WallTime(secondsSinceEpoch: 1_750_000_000)
        let a = NodeIdentity.development(name: "a", roles: ["x"], ca: ca, now: now)
        let b = NodeIdentity.development(name: "b", roles: [], ca: ca, now: now)
        try a.validate(now: now)
        let outcome = Self.run(client: a, server: b, clientNow: now, serverNow: now, expectedPeerName: "b")
        guard case .success = outcome else {
            Issue.record("handshake failed")
            return
        }
        #expect(a.certificate.body.notAfter - a.certificate.body.notBefore == 365 * 86_400 + 3_600)
    }

    /// A CA with the vector cluster's name but another key.
    static let otherCA = ClusterCA(
        clusterName: Fixtures.clusterName, keyPair: try! SigningKeyPair(seed: [UInt8](repeating: 9, count: 32))
    )

    @Test func serverCertificateFromAnotherCAIsAnUntrustedIssuer() {
        let otherCA = Self.otherCA
        // A misconfigured server: trusts our CA (so the cluster id matches) but holds a certificate from another.
        let server = Fixtures.identity(
            name: "server-1", roles: [], seed: Fixtures.serverSeed, ca: otherCA, trust: Fixtures.ca.trust
        )
        #expect(Self.run(server: server).clientError == .untrustedIssuer)
        let client = Fixtures.identity(
            name: "client-1", roles: [], seed: Fixtures.clientSeed, ca: otherCA, trust: Fixtures.ca.trust
        )
        #expect(Self.run(client: client).serverError == .untrustedIssuer)
    }

    @Test func clientOfAnotherCAHasAnotherClusterID() {
        let otherCA = Self.otherCA
        let client = Fixtures.identity(name: "client-1", roles: [], seed: Fixtures.clientSeed, ca: otherCA)
        #expect(Self.run(client: client).serverError == .wrongCluster)
        let namedOtherwise = ClusterCA(clusterName: "other-cluster", keyPair: Fixtures.ca.keyPair)
        let client2 = Fixtures.identity(name: "client-1", roles: [], seed: Fixtures.clientSeed, ca: namedOtherwise)
        #expect(Self.run(client: client2).serverError == .wrongCluster)
    }

    @Test func certificateForAnotherClusterNameIsRefused() {
        // Same CA key, but the certificate names another cluster while the node trusts ours.
        let namedOtherwise = ClusterCA(clusterName: "other-cluster", keyPair: Fixtures.ca.keyPair)
        let server = Fixtures.identity(
            name: "server-1", roles: [], seed: Fixtures.serverSeed, ca: namedOtherwise, trust: Fixtures.ca.trust
        )
        #expect(Self.run(server: server).clientError == .wrongCluster)
    }

    @Test func expiredAndNotYetValidCertificates() {
        let late = WallTime(secondsSinceEpoch: 1_900_000_001)
        let early = WallTime(secondsSinceEpoch: 1_699_999_999)
        #expect(Self.run(clientNow: late).clientError == .certificateExpired)
        #expect(Self.run(serverNow: late).serverError == .certificateExpired)
        #expect(Self.run(clientNow: early).clientError == .certificateNotYetValid)
        #expect(Self.run(serverNow: early).serverError == .certificateNotYetValid)
        // The bounds themselves are valid.
        guard case .success = Self.run(clientNow: Fixtures.notBefore, serverNow: Fixtures.notAfter) else {
            Issue.record("bounds refused")
            return
        }
    }

    @Test func certificateForAnotherKeyFailsTheHandshakeSignature() {
        // Each presents a valid certificate, but for a key it does not hold.
        let other = try! SigningKeyPair(seed: [UInt8](repeating: 0x0A, count: 32)).publicKey
        let server = Fixtures.identity(name: "server-1", roles: [], seed: Fixtures.serverSeed, certifiedKey: other)
        #expect(Self.run(server: server).clientError == .badHandshakeSignature)
        let client = Fixtures.identity(name: "client-1", roles: [], seed: Fixtures.clientSeed, certifiedKey: other)
        #expect(Self.run(client: client).serverError == .badHandshakeSignature)
        #expect(Fixtures.error { try client.validate(now: Fixtures.now) }?.code == .invalidKey)
    }

    @Test func peerNameMismatch() {
        #expect(Self.run(expectedPeerName: "server-2").clientError == .peerNameMismatch)
    }

    /// Flips one byte of each part of welcome and auth and checks the exact refusal.
    @Test func flippedBytesAreRefusedWithTheRightCode() throws {
        var client = Fixtures.clientHandshake()
        var server = Fixtures.serverHandshake()
        let hello = client.hello()
        let welcome = try server.receiveHello(hello[...])
        func clientError(_ body: [UInt8]) -> CryptoError.Code? {
            var c = Fixtures.clientHandshake()
            _ = c.hello()
            return Fixtures.error { try c.receiveWelcome(body[...]) }?.code
        }
        func flipped(_ b: [UInt8], at i: Int) -> [UInt8] {
            var b = b
            b[i] ^= 0x01
            return b
        }
        let sigStart = welcome.count - 64
        #expect(clientError(flipped(welcome, at: sigStart + 10)) == .badHandshakeSignature)
        #expect(clientError(flipped(welcome, at: 5)) == .badHandshakeSignature)  // server ephemeral key
        #expect(clientError(flipped(welcome, at: 40)) == .badHandshakeSignature)  // server nonce
        // The CA signature inside the certificate is the last 64 bytes of the core.
        #expect(clientError(flipped(welcome, at: sigStart - 2 - 10)) == .badCertificateSignature)

        let auth = try client.receiveWelcome(welcome[...]).auth
        func serverError(_ body: [UInt8]) -> CryptoError.Code? {
            var s = Fixtures.serverHandshake()
            _ = try? s.receiveHello(hello[...])
            return Fixtures.error { try s.receiveAuth(body[...]) }?.code
        }
        #expect(serverError(flipped(auth, at: auth.count - 1)) == .badHandshakeSignature)
        #expect(serverError(flipped(auth, at: auth.count - 66 - 10)) == .badCertificateSignature)
        // An auth from another connection (other ephemerals, so another th3) is refused.
        var c3 = ClientHandshake(identity: Fixtures.client, now: Fixtures.now)
        var s3 = ServerHandshake(identity: Fixtures.server, now: Fixtures.now)
        let otherAuth = try c3.receiveWelcome(try s3.receiveHello(c3.hello()[...])[...]).auth
        #expect(serverError(otherAuth) == .badHandshakeSignature)
    }

    @Test func helloChecks() throws {
        func serverError(_ body: [UInt8]) -> CryptoError.Code? {
            var s = Fixtures.serverHandshake()
            return Fixtures.error { try s.receiveHello(body[...]) }?.code
        }
        var client = Fixtures.clientHandshake()
        let hello = client.hello()
        var v2 = hello
        v2[1] = 2  // protocolVersion field value
        #expect(serverError(v2) == .unsupportedVersion)
        var otherCluster = hello
        otherCluster[5] ^= 0xFF
        #expect(serverError(otherCluster) == .wrongCluster)
        #expect(serverError(Array(hello.dropLast())) == .malformedHandshake)
        #expect(serverError(Array(hello.dropFirst(2))) == .malformedHandshake)  // no version
        // A low-order ephemeral key (the all-zero point) makes X25519 output zero.
        var zeroKey = hello
        for i in 38..<70 { zeroKey[i] = 0 }
        #expect(serverError(zeroKey) == .weakKeyAgreement)
    }

    @Test func stepsOutOfOrderAreUnexpected() throws {
        var client = Fixtures.clientHandshake()
        var server = Fixtures.serverHandshake()
        #expect(Fixtures.error { try client.receiveWelcome([][...]) }?.code == .unexpectedHandshakeMessage)
        #expect(Fixtures.error { try server.receiveAuth([][...]) }?.code == .unexpectedHandshakeMessage)
        let hello = client.hello()
        #expect(client.hello() == hello)
        let welcome = try server.receiveHello(hello[...])
        #expect(Fixtures.error { try server.receiveHello(hello[...]) }?.code == .unexpectedHandshakeMessage)
        let auth = try client.receiveWelcome(welcome[...]).auth
        #expect(Fixtures.error { try client.receiveWelcome(welcome[...]) }?.code == .unexpectedHandshakeMessage)
        _ = try server.receiveAuth(auth[...])
        #expect(Fixtures.error { try server.receiveAuth(auth[...]) }?.code == .unexpectedHandshakeMessage)

        // After a failure every further step is unexpected.
        var failed = Fixtures.serverHandshake()
        #expect(Fixtures.error { try failed.receiveHello([1, 2, 3][...]) }?.code == .malformedHandshake)
        #expect(Fixtures.error { try failed.receiveHello(hello[...]) }?.code == .unexpectedHandshakeMessage)
    }

    /// Garbage of many shapes never traps and always yields malformedHandshake (or a specific check's code).
    @Test func garbageBodiesAreRefusedWithoutTrapping() throws {
        var rng = SeededRandom(seed: 7)
        var client = Fixtures.clientHandshake()
        var server = Fixtures.serverHandshake()
        let hello = client.hello()
        let welcome = try server.receiveHello(hello[...])
        let auth = try client.receiveWelcome(welcome[...]).auth
        let allowed: Set<CryptoError.Code> = [
            .malformedHandshake, .unsupportedVersion, .wrongCluster, .weakKeyAgreement, .untrustedIssuer,
            .badCertificateSignature, .badHandshakeSignature,
        ]
        var samples: [[UInt8]] = [
            [], [0], [0xFF], [UInt8](repeating: 0xFF, count: 20), [0x0A, 0xFF, 0xFF, 0xFF, 0x0F],
        ]
        for _ in 0..<200 {
            let n = Int.random(in: 0..<300, using: &rng)
            samples.append((0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        for message in [hello, welcome, auth] {
            for _ in 0..<100 {  // truncations and random corruption of real messages
                var m = Array(message.prefix(Int.random(in: 0...message.count, using: &rng)))
                if !m.isEmpty { m[Int.random(in: 0..<m.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                samples.append(m)
            }
        }
        for body in samples {
            var s = Fixtures.serverHandshake()
            if let e = Fixtures.error({ try s.receiveHello(body[...]) }) { #expect(allowed.contains(e.code), "\(e)") }
            var c = Fixtures.clientHandshake()
            _ = c.hello()
            if let e = Fixtures.error({ try c.receiveWelcome(body[...]) }) { #expect(allowed.contains(e.code), "\(e)") }
            var s2 = Fixtures.serverHandshake()
            _ = try s2.receiveHello(hello[...])
            if let e = Fixtures.error({ try s2.receiveAuth(body[...]) }) { #expect(allowed.contains(e.code), "\(e)") }
        }
    }

    @Test func goAwayBodyCarriesUnauthenticated() {
        let e = CryptoError(.wrongCluster, "nope")
        #expect(e.goAwayBody.status.code == .unauthenticated)
        #expect(e.goAwayBody.status.message == "wrongCluster: nope")
        #expect(e.goAwayBody.lastStreamID == 0)
    }
}
