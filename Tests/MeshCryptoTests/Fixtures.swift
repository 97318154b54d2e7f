import MeshCore
import MeshWire
import NIOCore
import Testing

@testable import MeshCrypto

/// The fixed inputs of the published vectors (proto-spec/vectors/) and helpers shared by the tests.
enum Fixtures {
    static let clusterName = "vector-cluster"
    static let caSeed = [UInt8](repeating: 0x01, count: 32)
    static let serverSeed = [UInt8](repeating: 0x02, count: 32)
    static let clientSeed = [UInt8](repeating: 0x03, count: 32)
    static let serverEphemeralSecret = [UInt8](repeating: 0x04, count: 32)
    static let clientEphemeralSecret = [UInt8](repeating: 0x05, count: 32)
    static let serverNonce = [UInt8](repeating: 0x06, count: 32)
    static let clientNonce = [UInt8](repeating: 0x07, count: 32)
    static let notBefore = WallTime(secondsSinceEpoch: 1_700_000_000)
    static let notAfter = WallTime(secondsSinceEpoch: 1_900_000_000)
    static let now = WallTime(secondsSinceEpoch: 1_800_000_000)

    static let ca = ClusterCA(clusterName: clusterName, keyPair: try! SigningKeyPair(seed: caSeed))
    static let server = identity(name: "server-1", roles: ["inventory"], seed: serverSeed)
    static let client = identity(name: "client-1", roles: ["edge"], seed: clientSeed)

    /// A node of the vector cluster (or of `ca`), certified for its own key unless `certifiedKey` says otherwise.
    static func identity(
        name: String, roles: [String], seed: [UInt8], ca: ClusterCA = Fixtures.ca,
        notBefore: WallTime = Fixtures.notBefore, notAfter: WallTime = Fixtures.notAfter,
        certifiedKey: [UInt8]? = nil, trust: ClusterTrust? = nil
    ) -> NodeIdentity {
        let keyPair = try! SigningKeyPair(seed: seed)
        let cert = ca.issue(
            name: name, publicKey: certifiedKey ?? keyPair.publicKey, roles: roles,
            notBefore: notBefore, notAfter: notAfter
        )
        return NodeIdentity(keyPair: keyPair, certificate: cert, trust: trust ?? ca.trust)
    }

    /// The fixed-secret handshakes of the vectors. By default both sides use ChaCha20-Poly1305 only (the first
    /// vector set, whose hello and welcome carry no cipher field).
    static func clientHandshake(
        _ identity: NodeIdentity = client, now: WallTime = now, expectedPeerName: String? = nil,
        ciphers: [FrameCipher] = [.chacha20Poly1305]
    ) -> ClientHandshake {
        ClientHandshake(
            identity: identity, now: now, expectedPeerName: expectedPeerName,
            ephemeralSecret: clientEphemeralSecret, nonce: clientNonce, ciphers: ciphers
        )
    }

    static func serverHandshake(
        _ identity: NodeIdentity = server, now: WallTime = now, ciphers: [FrameCipher] = [.chacha20Poly1305]
    ) -> ServerHandshake {
        ServerHandshake(
            identity: identity, now: now, ephemeralSecret: serverEphemeralSecret, nonce: serverNonce, ciphers: ciphers)
    }

    /// A whole frame as wire bytes: length prefix, header, body.
    static func frameBytes(_ type: FrameType, body: [UInt8], streamID: UInt32 = 0) -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 12 + body.count)
        Frame(header: FrameHeader(type: type, streamID: streamID), body: ByteBuffer(bytes: body)).write(into: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// Runs `body` and returns the `CryptoError` it threw, or nil if it did not throw.
    /// Any other error is recorded as a test failure (the API throws only `CryptoError`).
    static func error<T>(_ body: () throws -> T) -> CryptoError? {
        do {
            _ = try body()
            return nil
        } catch let error as CryptoError {
            return error
        } catch {
            Issue.record("expected a CryptoError, got \(error)")
            return nil
        }
    }
}
