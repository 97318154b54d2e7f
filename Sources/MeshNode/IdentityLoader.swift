import Foundation
import MeshCore
import MeshCrypto

/// Turns an `IdentitySource` into a `NodeIdentity`, checking that the certificate names this node,
/// certifies this node's key, and is trusted by the given cluster trust right now.
public enum IdentityLoader {
    public static func load(_ source: IdentitySource, name: String, roles: [String]) throws -> NodeIdentity {
        switch source {
        case .development:
            return DevelopmentIdentity.identity(name: name, roles: roles)
        case .files(let trustPath, let certificatePath, let keyPath):
            let trust = try decode(trustPath, "cluster trust") { try ClusterTrust(pem: $0) }
            let certificate = try decode(certificatePath, "certificate") { try NodeCertificate(pem: $0) }
            let key = try decode(keyPath, "node key") { try SigningKeyPair(pem: $0) }
            let identity = NodeIdentity(keyPair: key, certificate: certificate, trust: trust)
            guard identity.name == name else {
                throw NodeError(
                    "certificate \(certificatePath) is for '\(identity.name)', but this node is named '\(name)'")
            }
            let now = WallTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
            do {
                try identity.validate(now: now)
                try trust.verify(certificate, now: now)
            } catch {
                throw NodeError("identity of '\(name)' is not usable: \(error)")
            }
            return identity
        }
    }

    static func decode<T>(_ path: String, _ what: String, _ parse: (String) throws -> T) throws -> T {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw NodeError("cannot read \(what) file \(path): \(error.localizedDescription)")
        }
        do {
            return try parse(text)
        } catch {
            throw NodeError("\(path) is not a valid \(what): \(error)")
        }
    }
}

/// A node could not start or run: a message an operator can act on.
public struct NodeError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
