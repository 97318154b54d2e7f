import MeshCrypto

/// The built-in development CA: a fixed, publicly known key so that nodes started without any key
/// files (the quick start, local tests) trust each other. Never use it in production: anyone can
/// issue certificates under it. `meshnode run` logs a warning when it is in use.
public enum DevelopmentIdentity {
    public static let clusterName = "mesh-development"

    /// Seed of the development CA's Ed25519 key: 32 bytes of the ASCII text below, padded.
    static let caSeed: [UInt8] = Array("mesh development CA - INSECURE!!".utf8)

    public static var ca: ClusterCA {
        // The seed is a fixed 32-byte constant, so this cannot fail.
        ClusterCA(clusterName: clusterName, keyPair: try! SigningKeyPair(seed: caSeed))
    }

    /// A fresh key and a one-year certificate for `name` under the development CA.
    public static func identity(name: String, roles: [String]) -> NodeIdentity {
        NodeIdentity.development(name: name, roles: roles, ca: ca)
    }
}
