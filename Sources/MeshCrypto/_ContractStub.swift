// TEMPORARY: compile-time stand-in for the MeshCrypto contract while it is being written. NOT SECURE. Deleted on merge.
import MeshCore
import MeshWire
import NIOCore

public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable { let v: String
        public static let frameAuthenticationFailed = Code(v: "frameAuthenticationFailed")
        public static let malformedHandshake = Code(v: "malformedHandshake")
    }
    public var code: Code; public var message: String
    public init(_ c: Code, _ m: String) { code = c; message = m }
    public var description: String { message }
}
public struct SigningKeyPair: Sendable { public let publicKey: [UInt8]; public init(seed: [UInt8]) throws(CryptoError) { publicKey = seed }; init(publicKey: [UInt8]) { self.publicKey = publicKey }; public static func generate() -> SigningKeyPair { .init(publicKey: []) } }
public struct NodeCertificate: Sendable, Hashable { public var name: String; public var roles: [String] }
public struct ClusterTrust: Sendable, Hashable {}
public struct ClusterCA: Sendable { public init(clusterName: String, keyPair: SigningKeyPair) {} }
public struct NodeIdentity: Sendable {
    public var name: String; public var roles: [String]
    public static func development(name: String, roles: [String], ca: ClusterCA) -> NodeIdentity { .init(name: name, roles: roles) }
}
public struct SessionKeys: Sendable { public let send: [UInt8]; public let receive: [UInt8] }
public struct PeerInfo: Sendable { public var name: String; public var roles: [String] }
public struct ClientHandshake: Sendable {
    let id: NodeIdentity
    public init(identity: NodeIdentity, now: WallTime, expectedPeerName: String? = nil, ephemeralSecret: [UInt8]? = nil, nonce: [UInt8]? = nil) { id = identity }
    public mutating func hello() -> [UInt8] { Array(id.name.utf8) }
    public mutating func receiveWelcome(_ body: ArraySlice<UInt8>) throws(CryptoError) -> (auth: [UInt8], keys: SessionKeys, peer: PeerInfo) {
        (Array(id.name.utf8), SessionKeys(send: [], receive: []), PeerInfo(name: String(decoding: body, as: UTF8.self), roles: []))
    }
}
public struct ServerHandshake: Sendable {
    let id: NodeIdentity; var peer = ""
    public init(identity: NodeIdentity, now: WallTime, ephemeralSecret: [UInt8]? = nil, nonce: [UInt8]? = nil) { id = identity }
    public mutating func receiveHello(_ body: ArraySlice<UInt8>) throws(CryptoError) -> [UInt8] { peer = String(decoding: body, as: UTF8.self); return Array(id.name.utf8) }
    public mutating func receiveAuth(_ body: ArraySlice<UInt8>) throws(CryptoError) -> (keys: SessionKeys, peer: PeerInfo) {
        (SessionKeys(send: [], receive: []), PeerInfo(name: peer, roles: []))
    }
}
public struct FrameSealer: Sendable {
    public init(key: [UInt8]) {}
    public mutating func seal(header: FrameHeader, plaintext: ByteBuffer, into out: inout ByteBuffer) throws(CryptoError) {
        Frame.writePrefixAndHeader(header, bodyLength: plaintext.readableBytes + 16, into: &out)
        var p = plaintext; out.writeBuffer(&p); out.writeRepeatingByte(0, count: 16)
    }
}
public struct FrameOpener: Sendable {
    public init(key: [UInt8]) {}
    public mutating func open(_ frame: Frame) throws(CryptoError) -> ByteBuffer {
        guard frame.body.readableBytes >= 16 else { throw CryptoError(.frameAuthenticationFailed, "short") }
        return frame.body.getSlice(at: frame.body.readerIndex, length: frame.body.readableBytes - 16)!
    }
}
