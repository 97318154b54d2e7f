import MeshCore

/// The server side of the signed handshake (proto-spec/handshake.md), a pure state machine:
/// on `hello` call `receiveHello(_:)` → send the returned `welcome`; on `auth` call
/// `receiveAuth(_:)` → seal with `keys` (the first sealed frame is the server's `settings`).
/// Any thrown error ends the handshake: the caller sends a `goAway` with `error.goAwayBody` and
/// closes. Steps out of order throw `unexpectedHandshakeMessage`.
public struct ServerHandshake: Sendable {
    private enum State: Sendable {
        case awaitingHello
        case awaitingAuth(th2: [UInt8], shared: [UInt8], cipher: FrameCipher)
        case finished
        case failed
    }

    private let identity: NodeIdentity
    private let now: WallTime
    /// Dropped once used, so the ephemeral secret does not outlive the key agreement.
    private var ephemeral: EphemeralKeyPair?
    private let nonce: [UInt8]
    /// The frame ciphers this server accepts, most preferred first.
    private let ciphers: [FrameCipher]
    private var state = State.awaitingHello

    /// - Parameters:
    ///   - now: the wall time at which the client's certificate must be valid.
    ///   - ephemeralSecret, nonce: 32 bytes each; fixed values only for vectors and tests
    ///     (random when nil). Other lengths are a programming error.
    ///   - ciphers: the frame ciphers accepted, most preferred first (default: what this CPU supports). The
    ///     server chooses the first of these that the client offered.
    public init(
        identity: NodeIdentity, now: WallTime, ephemeralSecret: [UInt8]? = nil, nonce: [UInt8]? = nil,
        ciphers: [FrameCipher] = FrameCipher.supported
    ) {
        precondition(nonce == nil || nonce?.count == 32, "a handshake nonce has 32 bytes")
        precondition(!ciphers.isEmpty && ciphers.allSatisfy(\.isAvailable), "accept only ciphers this CPU supports")
        self.ciphers = ciphers
        self.identity = identity
        self.now = now
        self.ephemeral = ephemeralSecret.map { EphemeralKeyPair(secret: $0) } ?? .generate()
        self.nonce = nonce ?? Sodium.randomBytes(32)
    }

    /// Checks the client's `hello` and returns the `welcome` body. Checks, in order: layout
    /// (`malformedHandshake`), version (`unsupportedVersion`), cluster id equals ours (`wrongCluster`),
    /// a cipher in common (`noCommonCipher`), key agreement (`weakKeyAgreement`).
    public mutating func receiveHello(_ body: ArraySlice<UInt8>) throws(CryptoError) -> [UInt8] {
        guard case .awaitingHello = state, let ephemeral else {
            throw CryptoError(.unexpectedHandshakeMessage, "hello received \(stateDescription)")
        }
        state = .failed
        self.ephemeral = nil
        let hello = try HelloMessage(decoding: body)
        let clusterID = identity.trust.clusterID
        guard hello.clusterID == clusterID else {
            throw CryptoError(
                .wrongCluster,
                "client's cluster id \(Sodium.hex(hello.clusterID.prefix(8))) is not ours "
                    + "(\(Sodium.hex(clusterID.prefix(8))), cluster '\(identity.trust.clusterName)')"
            )
        }
        guard let cipher = FrameCipher.choose(offered: hello.ciphers, preference: ciphers) else {
            throw CryptoError(
                .noCommonCipher,
                "client offers \(hello.ciphers.isEmpty ? "no known cipher" : "\(hello.ciphers)"); this node accepts \(ciphers)"
            )
        }
        let shared = try ephemeral.agree(with: hello.ephemeralPublicKey)
        let core = WelcomeCore(
            ephemeralPublicKey: ephemeral.publicKey, nonce: nonce, certificate: identity.certificate, cipher: cipher
        ).encoded()
        let th2 = HandshakeTranscript.th2(clusterID: clusterID, hello: Array(body), welcomeCore: core)
        let signature = identity.keyPair.sign(HandshakeTranscript.serverSignatureContext + th2)
        state = .awaitingAuth(th2: th2, shared: shared, cipher: cipher)
        return HandshakeTranscript.appendSignature(
            signature, field: HandshakeTranscript.welcomeSignatureField, to: core
        )
    }

    /// Verifies the client's `auth` and returns the session keys and the authenticated client.
    /// Checks, in order: layout (`malformedHandshake`), the certificate under the local trust at
    /// `now`, the client's signature over th3 under the certificate's key (`badHandshakeSignature`).
    public mutating func receiveAuth(
        _ body: ArraySlice<UInt8>
    ) throws(CryptoError) -> (keys: SessionKeys, peer: PeerInfo) {
        guard case .awaitingAuth(let th2, let shared, let cipher) = state else {
            throw CryptoError(.unexpectedHandshakeMessage, "auth received \(stateDescription)")
        }
        state = .failed
        let (core, signature) = try HandshakeTranscript.splitSignature(
            body, field: HandshakeTranscript.authSignatureField, message: "auth"
        )
        let cert = try AuthCore(decoding: core).certificate
        try identity.trust.verify(cert, now: now)
        let th3 = HandshakeTranscript.th3(th2: th2, authCore: core)
        try HandshakeTranscript.verifySignature(
            signature, context: HandshakeTranscript.clientSignatureContext, hash: th3, by: cert, message: "auth"
        )
        let keys = HandshakeTranscript.keys(shared: shared, th3: th3)
        state = .finished
        return (SessionKeys(send: keys.s2c, receive: keys.c2s, cipher: cipher), PeerInfo(certificate: cert))
    }

    private var stateDescription: String {
        switch state {
        case .awaitingHello: "while awaiting hello"
        case .awaitingAuth: "while awaiting auth"
        case .finished: "after the handshake finished"
        case .failed: "after the handshake failed"
        }
    }
}
