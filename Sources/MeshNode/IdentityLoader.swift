import Foundation
import MeshCore
import MeshCrypto

/// Turns an `IdentitySource` into a `NodeIdentity`, checking that the certificate names this node,
/// certifies this node's key, and is trusted by the given cluster trust right now.
public enum IdentityLoader {
    public static func load(
        _ source: IdentitySource, name: String, roles: [String]
    ) throws(NodeError) -> NodeIdentity {
        switch source {
        case .development:
            return DevelopmentIdentity.identity(name: name, roles: roles)
        case .files(let trustPath, let certificatePath, let keyPath):
            let trust = try decode(trustPath, "cluster trust", ClusterTrust.init(pem:))
            let certificate = try decode(certificatePath, "certificate", NodeCertificate.init(pem:))
            let key = try decode(keyPath, "node key", SigningKeyPair.init(pem:))
            let identity = NodeIdentity(keyPair: key, certificate: certificate, trust: trust)
            guard identity.name == name else {
                throw NodeError(
                    .identityMismatch,
                    "certificate \(certificatePath) is for '\(identity.name)', but this node is named '\(name)'")
            }
            let now = WallTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
            do {
                try identity.validate(now: now)
                try trust.verify(certificate, now: now)
            } catch {
                throw NodeError(.identityInvalid, "identity of '\(name)' is not usable", cause: error)
            }
            return identity
        }
    }

    static func decode<T>(
        _ path: String, _ what: String, _ parse: (String) throws(CryptoError) -> T
    ) throws(NodeError) -> T {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw NodeError(.identityUnreadable, "cannot read \(what) file \(path): \(error.localizedDescription)")
        }
        do {
            return try parse(text)
        } catch {
            throw NodeError(.identityInvalid, "\(path) is not a valid \(what)", cause: error)
        }
    }
}
