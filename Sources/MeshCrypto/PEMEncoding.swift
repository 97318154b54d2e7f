import MeshWire

// Text encodings for key files. File I/O is not in MeshCrypto: the node reads and writes the strings.
// Block contents (proto-spec/identity.md):
//   MESH NODE CERTIFICATE  the encoded NodeCertificate
//   MESH NODE KEY          the 32-byte Ed25519 seed
//   MESH CA KEY            {1: clusterName (string), 2: seed (32 B)}
//   MESH CLUSTER TRUST     {1: clusterName (string), 2: caPublicKey (32 B)}

extension NodeCertificate {
    public func pemEncoded() -> String { PEMBlock.encode(label: PEMBlock.certificateLabel, encoded()) }

    public init(pem: String) throws(CryptoError) {
        let bytes = try PEMBlock.decode(label: PEMBlock.certificateLabel, pem)
        do {
            try self.init(decoding: bytes)
        } catch {
            throw CryptoError(.malformedEncoding, "certificate does not decode: \(error)", cause: error)
        }
    }
}

extension SigningKeyPair {
    /// A "MESH NODE KEY" block holding the seed. Keep the text secret.
    public func pemEncoded() -> String { PEMBlock.encode(label: PEMBlock.nodeKeyLabel, seed) }

    public init(pem: String) throws(CryptoError) {
        try self.init(seed: try PEMBlock.decode(label: PEMBlock.nodeKeyLabel, pem))
    }
}

/// `{1: clusterName, 2: key}`: the contents of CA key and cluster trust blocks.
private func encodeNamedKey(_ name: String, _ key: [UInt8]) -> [UInt8] {
    var w = PayloadWriter()
    w.string(1, name)
    w.bytes(2, key)
    return w.bytes
}

private func decodeNamedKey(_ bytes: [UInt8], what: String) throws(CryptoError) -> (String, [UInt8]) {
    var name: String?
    var key: [UInt8]?
    do {
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: name = try f.string()
            case 2: key = Array(try f.bytes())
            default: break
            }
        }
    } catch {
        throw CryptoError(.malformedEncoding, "\(what) does not decode: \(error)", cause: error)
    }
    guard let name, let key else { throw CryptoError(.malformedEncoding, "\(what) lacks its cluster name or key") }
    guard key.count == 32 else { throw CryptoError(.invalidKey, "\(what) key has \(key.count) bytes, not 32") }
    return (name, key)
}

extension ClusterCA {
    /// A "MESH CA KEY" block holding the cluster name and the CA seed. Keep the text secret.
    public func pemEncoded() -> String {
        PEMBlock.encode(label: PEMBlock.caKeyLabel, encodeNamedKey(clusterName, keyPair.seed))
    }

    public init(pem: String) throws(CryptoError) {
        let (name, seed) = try decodeNamedKey(try PEMBlock.decode(label: PEMBlock.caKeyLabel, pem), what: "CA key")
        self.init(clusterName: name, keyPair: try SigningKeyPair(seed: seed))
    }
}

extension ClusterTrust {
    /// A "MESH CLUSTER TRUST" block holding the cluster name and the CA public key. Public.
    public func pemEncoded() -> String {
        PEMBlock.encode(label: PEMBlock.trustLabel, encodeNamedKey(clusterName, caPublicKey))
    }

    public init(pem: String) throws(CryptoError) {
        let block = try PEMBlock.decode(label: PEMBlock.trustLabel, pem)
        let (name, key) = try decodeNamedKey(block, what: "cluster trust")
        self.init(clusterName: name, caPublicKey: key)
    }
}
