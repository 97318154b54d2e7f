import MeshCore
import MeshWire
import NIOCore

@testable import MeshCrypto

/// Computes the published vectors from `Fixtures` with the module's own code. The tests compare these
/// with the files byte for byte; with `MESH_WRITE_VECTORS=1` they (re)write the files instead.
enum VectorBook {
    static let certificateFile = "certificate.txt"
    static let handshakeFile = "handshake.txt"
    static let sealedFrameFile = "sealed-frame.txt"
    static let cipherChoiceFile = "cipher-choice.txt"

    static func certificate() -> VectorFile {
        var f = VectorFile(title: [
            "MeshCrypto certificate vectors (proto-spec/identity.md). Lines are `name: hex`.",
            "Inputs: CA seed 32x01, server seed 32x02, client seed 32x03, cluster \"vector-cluster\",",
            "notBefore 1700000000, notAfter 1900000000.",
        ])
        let ca = Fixtures.ca
        f.add("ca-seed", Fixtures.caSeed, "Ed25519 seed of the cluster CA")
        f.add("ca-public-key", ca.keyPair.publicKey)
        f.add("cluster-name", Array(Fixtures.clusterName.utf8), "UTF-8 of \"vector-cluster\"")
        f.add(
            "cluster-id", ca.trust.clusterID,
            "BLAKE2b-256(\"mesh-cluster-v1\\0\" || u16be(14) || \"vector-cluster\" || ca-public-key)"
        )
        for (label, id, seed) in [
            ("server", Fixtures.server, Fixtures.serverSeed), ("client", Fixtures.client, Fixtures.clientSeed),
        ] {
            let c = id.certificate
            f.add("\(label)-seed", seed, "Ed25519 seed of \(id.name)")
            f.add("\(label)-public-key", id.keyPair.publicKey)
            f.add(
                "\(label)-cert-tbs", c.tbs,
                "CertificateBody {1 name: \"\(id.name)\", 2 publicKey: \(label)-public-key, "
                    + "3 roles: \(id.roles.map { "\"\($0)\"" }.joined(separator: ", ")),",
                "  4 notBefore: 1700000000 (zigzag varint), 5 notAfter: 1900000000, 6 clusterName: \"vector-cluster\","
                    + " 7 caPublicKey: ca-public-key}"
            )
            f.add(
                "\(label)-cert-signature", c.signature,
                "Ed25519 by the CA over \"mesh-cert-v1\\0\" || \(label)-cert-tbs"
            )
            f.add("\(label)-cert", c.encoded(), "NodeCertificate {1 tbs: \(label)-cert-tbs, 2 signature}")
        }
        return f
    }

    /// The handshake values: bodies from the state machines, intermediate values from the transcript rules.
    static func handshake() -> VectorFile {
        var f = VectorFile(title: [
            "MeshCrypto handshake vectors (proto-spec/handshake.md). Lines are `name: hex`.",
            "Inputs: the identities of certificate.txt; server ephemeral secret 32x04, client ephemeral secret 32x05,",
            "server nonce 32x06, client nonce 32x07; now = 1800000000; client expects peer \"server-1\".",
        ])
        var client = Fixtures.clientHandshake(expectedPeerName: "server-1")
        var server = Fixtures.serverHandshake()
        let hello = client.hello()
        let welcome = try! server.receiveHello(hello[...])
        let clientResult = try! client.receiveWelcome(welcome[...])
        let serverResult = try! server.receiveAuth(clientResult.auth[...])
        precondition(clientResult.keys.send == serverResult.keys.receive, "vector handshake keys disagree")

        let serverEph = EphemeralKeyPair(secret: Fixtures.serverEphemeralSecret)
        let clientEph = EphemeralKeyPair(secret: Fixtures.clientEphemeralSecret)
        let welcomeCore = Array(welcome.dropLast(66))
        let authCore = Array(clientResult.auth.dropLast(66))
        let clusterID = Fixtures.ca.trust.clusterID
        let th2 = HandshakeTranscript.th2(clusterID: clusterID, hello: hello, welcomeCore: welcomeCore)
        let th3 = HandshakeTranscript.th3(th2: th2, authCore: authCore)
        let shared = try! clientEph.agree(with: serverEph.publicKey)

        f.add("server-ephemeral-secret", Fixtures.serverEphemeralSecret, "X25519 secret")
        f.add("server-ephemeral-public", serverEph.publicKey, "crypto_scalarmult_base(server-ephemeral-secret)")
        f.add("client-ephemeral-secret", Fixtures.clientEphemeralSecret)
        f.add("client-ephemeral-public", clientEph.publicKey)
        f.add("server-nonce", Fixtures.serverNonce)
        f.add("client-nonce", Fixtures.clientNonce)
        f.add(
            "hello", hello,
            "Hello {1 protocolVersion: 1, 2 clusterID: cluster-id, 3 ephemeralPublicKey: client-ephemeral-public,"
                + " 4 nonce: client-nonce}"
        )
        f.add(
            "hello-frame", Fixtures.frameBytes(.hello, body: hello),
            "u32be len | 01 | type 01 | flags 0000 | stream 0 | hello"
        )
        f.add(
            "welcome-core", welcomeCore,
            "fields 1 ephemeralPublicKey: server-ephemeral-public, 2 nonce: server-nonce, 3 certificate: server-cert"
        )
        f.add(
            "th2", th2,
            "BLAKE2b-256(\"mesh-hs-v1\\0\" || cluster-id || u32be(len hello) || hello"
                + " || u32be(len welcome-core) || welcome-core)"
        )
        f.add(
            "welcome-signature", Array(welcome.suffix(64)),
            "Ed25519 by server-seed over \"mesh-hs-v1 server\\0\" || th2"
        )
        f.add("welcome", welcome, "welcome-core || 22 40 || welcome-signature   (field 4, 64 bytes, always last)")
        f.add("welcome-frame", Fixtures.frameBytes(.welcome, body: welcome))
        f.add("shared-secret", shared, "X25519(client-ephemeral-secret, server-ephemeral-public)")
        f.add("auth-core", authCore, "field 1 certificate: client-cert")
        f.add("th3", th3, "BLAKE2b-256(th2 || auth-core)")
        f.add(
            "auth-signature", Array(clientResult.auth.suffix(64)),
            "Ed25519 by client-seed over \"mesh-hs-v1 client\\0\" || th3"
        )
        f.add("auth", clientResult.auth, "auth-core || 12 40 || auth-signature   (field 2, 64 bytes, always last)")
        f.add("auth-frame", Fixtures.frameBytes(.auth, body: clientResult.auth))
        f.add("key-c2s", clientResult.keys.send, "BLAKE2b-256(key: shared-secret, msg: \"mesh-key-v1 c2s\\0\" || th3)")
        f.add(
            "key-s2c", clientResult.keys.receive,
            "BLAKE2b-256(key: shared-secret, msg: \"mesh-key-v1 s2c\\0\" || th3)"
        )
        return f
    }

    /// Ping frames sealed with the handshake's keys, counters 0 and 1 in each direction.
    static func sealedFrames() -> VectorFile {
        var f = VectorFile(title: [
            "MeshCrypto sealed-frame vectors (proto-spec/sealing.md). Lines are `name: hex`.",
            "Keys: key-c2s and key-s2c of handshake.txt. Each frame: ping (type 0x14), flags 0, stream 0,",
            "body PingBody {1 opaque: 42 (fixed64)}; AEAD ChaCha20-Poly1305-IETF, nonce 00000000 || u64be counter,",
            "associated data = the 12 bytes of length prefix and header.",
        ])
        let keys = handshakeKeys()
        let ping = PingBody(opaque: 42).encoded()
        f.add("ping-body", ping, "plaintext: key 09 (field 1, fixed64) || 2a00000000000000")
        for (direction, key) in [("c2s", keys.c2s), ("s2c", keys.s2c)] {
            var sealer = FrameSealer(key: key, cipher: .chacha20Poly1305)
            for counter in 0..<2 {
                var out = ByteBufferAllocator().buffer(capacity: 64)
                try! sealer.seal(
                    header: FrameHeader(type: .ping, streamID: 0), plaintext: ByteBuffer(bytes: ping), into: &out
                )
                let wire = Array(out.readableBytesView)
                f.add(
                    "\(direction)-ping-\(counter)", wire,
                    "counter \(counter): len \(wire.count - 4) = 8 + \(ping.count) + 16 | 01 14 0000 00000000 |"
                        + " ciphertext (\(ping.count) B) | tag (16 B)"
                )
            }
        }
        return f
    }

    static func handshakeKeys() -> (c2s: [UInt8], s2c: [UInt8]) {
        var client = Fixtures.clientHandshake()
        var server = Fixtures.serverHandshake()
        let welcome = try! server.receiveHello(client.hello()[...])
        let keys = try! client.receiveWelcome(welcome[...]).keys
        return (keys.send, keys.receive)
    }

    /// The same fixed-secret handshake with both sides offering AES-256-GCM first: the hello carries field 5
    /// [2, 1], the welcome core field 5 = 2, and frames are sealed with AES-256-GCM.
    static func cipherChoice() -> VectorFile {
        var f = VectorFile(title: [
            "MeshCrypto cipher-choice vectors (proto-spec/handshake.md \"Cipher choice\", proto-spec/sealing.md).",
            "Lines are `name: hex`. Inputs as in handshake.txt, except that the client offers ciphers [2 aes-256-gcm,",
            "1 chacha20-poly1305] and the server prefers aes-256-gcm. Sealed frames: ping (type 0x14), stream 0,",
            "body PingBody {1 opaque: 42}; AEAD AES-256-GCM, nonce 00000000 || u64be counter, associated data =",
            "the 12 bytes of length prefix and header.",
        ])
        let both: [FrameCipher] = [.aes256GCM, .chacha20Poly1305]
        var client = Fixtures.clientHandshake(expectedPeerName: "server-1", ciphers: both)
        var server = Fixtures.serverHandshake(ciphers: both)
        let hello = client.hello()
        let welcome = try! server.receiveHello(hello[...])
        let clientResult = try! client.receiveWelcome(welcome[...])
        let serverResult = try! server.receiveAuth(clientResult.auth[...])
        precondition(
            clientResult.keys
                == SessionKeys(
                    send: serverResult.keys.receive, receive: serverResult.keys.send, cipher: .aes256GCM))
        let welcomeCore = Array(welcome.dropLast(66))
        let th2 = HandshakeTranscript.th2(
            clusterID: Fixtures.ca.trust.clusterID, hello: hello, welcomeCore: welcomeCore)
        f.add(
            "hello", hello,
            "Hello {1: 1, 2: cluster-id, 3: client-ephemeral-public, 4: client-nonce, 5: 2, 5: 1}   (ends 28 02 28 01)"
        )
        f.add("welcome-core", welcomeCore, "fields 1, 2, 3 as in handshake.txt, then 5 cipher: 2   (ends 28 02)")
        f.add("th2", th2, "as in handshake.txt, over this hello and welcome-core")
        f.add(
            "welcome", welcome, "welcome-core || 22 40 || Ed25519 by server-seed over \"mesh-hs-v1 server\\0\" || th2")
        f.add(
            "auth", clientResult.auth,
            "auth-core of handshake.txt || 12 40 || signature over th3 = BLAKE2b-256(th2 || auth-core)")
        f.add("key-c2s", clientResult.keys.send, "derived as in handshake.txt from this transcript")
        f.add("key-s2c", clientResult.keys.receive)
        let ping = PingBody(opaque: 42).encoded()
        for (direction, key) in [("c2s", clientResult.keys.send), ("s2c", clientResult.keys.receive)] {
            var sealer = FrameSealer(key: key, cipher: .aes256GCM)
            for counter in 0..<2 {
                var out = ByteBufferAllocator().buffer(capacity: 64)
                try! sealer.seal(
                    header: FrameHeader(type: .ping, streamID: 0), plaintext: ByteBuffer(bytes: ping), into: &out)
                f.add(
                    "\(direction)-ping-\(counter)", Array(out.readableBytesView),
                    "counter \(counter): 00000021 01 14 0000 00000000 | ciphertext (9 B) | tag (16 B)")
            }
        }
        return f
    }
}
