import MeshCore

/// The client side of the signed handshake (proto-spec/handshake.md), a pure state machine:
/// `hello()` → send it; on `welcome` call `receiveWelcome(_:)` → send the returned `auth`, then
/// seal with `keys`. Any thrown error ends the handshake: the caller sends a `goAway` with
/// `error.goAwayBody` and closes. Steps out of order throw `unexpectedHandshakeMessage`.
public struct ClientHandshake: Sendable {
    private enum State: Sendable {
        case start
        case awaitingWelcome
        case finished
        case failed
    }

    private let identity: NodeIdentity
    private let now: WallTime
    private let expectedPeerName: String?
    private var ephemeral: EphemeralKeyPair?
    private let helloBody: [UInt8]
    private let offeredCiphers: [FrameCipher]
    private var state = State.start

    /// - Parameters:
    ///   - now: the wall time at which the server's certificate must be valid.
    ///   - expectedPeerName: if set, the server's certificate must carry this name.
    ///   - ephemeralSecret, nonce: 32 bytes each; fixed values only for vectors and tests
    ///     (random when nil). Other lengths are a programming error.
    ///   - ciphers: the frame ciphers offered, most preferred first (default: what this CPU supports).
    public init(
        identity: NodeIdentity, now: WallTime, expectedPeerName: String? = nil,
        ephemeralSecret: [UInt8]? = nil, nonce: [UInt8]? = nil, ciphers: [FrameCipher] = FrameCipher.supported
    ) {
        precondition(nonce == nil || nonce?.count == 32, "a handshake nonce has 32 bytes")
        precondition(!ciphers.isEmpty && ciphers.allSatisfy(\.isAvailable), "offer only ciphers this CPU supports")
        self.offeredCiphers = ciphers
        let ephemeral = ephemeralSecret.map { EphemeralKeyPair(secret: $0) } ?? .generate()
        self.identity = identity
        self.now = now
        self.expectedPeerName = expectedPeerName
        self.ephemeral = ephemeral
        self.helloBody = HelloMessage(
            protocolVersion: HandshakeTranscript.protocolVersion, clusterID: identity.trust.clusterID,
            ephemeralPublicKey: ephemeral.publicKey, nonce: nonce ?? Sodium.randomBytes(32), ciphers: ciphers
        ).encoded()
    }

    /// The body of the `hello` frame. Calling it again returns the same bytes.
    public mutating func hello() -> [UInt8] {
        if case .start = state { state = .awaitingWelcome }
        return helloBody
    }

    /// Verifies the server's `welcome` and returns the `auth` body to send, the session keys and
    /// the authenticated server. Checks, in order: layout (`malformedHandshake`), the certificate
    /// under the local trust at `now`, the server's signature over th2 under the certificate's key
    /// (`badHandshakeSignature`), the expected name (`peerNameMismatch`), the key agreement
    /// (`weakKeyAgreement`).
    public mutating func receiveWelcome(
        _ body: ArraySlice<UInt8>
    ) throws(CryptoError) -> (auth: [UInt8], keys: SessionKeys, peer: PeerInfo) {
        guard case .awaitingWelcome = state, let ephemeral else {
            throw CryptoError(.unexpectedHandshakeMessage, "welcome received \(stateDescription)")
        }
        state = .failed
        self.ephemeral = nil
        let (core, signature) = try HandshakeTranscript.splitSignature(
            body, field: HandshakeTranscript.welcomeSignatureField, message: "welcome"
        )
        let welcome = try WelcomeCore(decoding: core)
        let cert = welcome.certificate
        try identity.trust.verify(cert, now: now)
        let th2 = HandshakeTranscript.th2(clusterID: identity.trust.clusterID, hello: helloBody, welcomeCore: core)
        try HandshakeTranscript.verifySignature(
            signature, context: HandshakeTranscript.serverSignatureContext, hash: th2, by: cert, message: "welcome"
        )
        if let expectedPeerName, expectedPeerName != cert.body.name {
            throw CryptoError(
                .peerNameMismatch, "connected to '\(cert.body.name)' but expected '\(expectedPeerName)'"
            )
        }
        guard offeredCiphers.contains(welcome.cipher) else {
            throw CryptoError(
                .noCommonCipher, "server '\(cert.body.name)' chose \(welcome.cipher), which this client did not offer")
        }
        let shared = try ephemeral.agree(with: welcome.ephemeralPublicKey)
        let authCore = AuthCore(certificate: identity.certificate).encoded()
        let th3 = HandshakeTranscript.th3(th2: th2, authCore: authCore)
        let authSignature = identity.keyPair.sign(HandshakeTranscript.clientSignatureContext + th3)
        let auth = HandshakeTranscript.appendSignature(
            authSignature, field: HandshakeTranscript.authSignatureField, to: authCore
        )
        let keys = HandshakeTranscript.keys(shared: shared, th3: th3)
        state = .finished
        return (
            auth, SessionKeys(send: keys.c2s, receive: keys.s2c, cipher: welcome.cipher), PeerInfo(certificate: cert)
        )
    }

    private var stateDescription: String {
        switch state {
        case .start: "before hello was sent"
        case .awaitingWelcome: "while awaiting welcome"
        case .finished: "after the handshake finished"
        case .failed: "after the handshake failed"
        }
    }
}
