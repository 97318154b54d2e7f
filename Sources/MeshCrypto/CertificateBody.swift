import MeshWire

/// The signed part of a node certificate ("to be signed"): who the node is, its key, what it may
/// do, when, and in which cluster. Encoded fields: 1 name, 2 publicKey (32 B Ed25519),
/// 3 roles (repeated), 4 notBefore, 5 notAfter (zigzag unix seconds), 6 clusterName,
/// 7 caPublicKey (32 B, the issuer). See proto-spec/identity.md.
public struct CertificateBody: WireMessage, Hashable {
    public var name: String
    public var publicKey: [UInt8]
    public var roles: [String]
    public var notBefore: Int64
    public var notAfter: Int64
    public var clusterName: String
    public var caPublicKey: [UInt8]

    public init(
        name: String, publicKey: [UInt8], roles: [String], notBefore: Int64, notAfter: Int64,
        clusterName: String, caPublicKey: [UInt8]
    ) {
        self.name = name
        self.publicKey = publicKey
        self.roles = roles
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.clusterName = clusterName
        self.caPublicKey = caPublicKey
    }

    /// Decodes and checks that both keys are 32 bytes and that name and keys are present.
    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        var name: String?
        var publicKey: [UInt8]?
        var caPublicKey: [UInt8]?
        var roles: [String] = []
        var notBefore: Int64 = 0
        var notAfter: Int64 = 0
        var clusterName = ""
        while let f = try r.next() {
            switch f.number {
            case 1: name = try f.string()
            case 2: publicKey = Array(try f.bytes())
            case 3: roles.append(try f.string())
            case 4: notBefore = try f.int()
            case 5: notAfter = try f.int()
            case 6: clusterName = try f.string()
            case 7: caPublicKey = Array(try f.bytes())
            default: break
            }
        }
        guard let name else { throw WireError(.missingField, "certificate body lacks field 1 (name)") }
        guard let publicKey else { throw WireError(.missingField, "certificate body lacks field 2 (publicKey)") }
        guard let caPublicKey else { throw WireError(.missingField, "certificate body lacks field 7 (caPublicKey)") }
        guard publicKey.count == 32, caPublicKey.count == 32 else {
            throw WireError(.invalidValue, "certificate keys must be 32 bytes")
        }
        self.init(
            name: name, publicKey: publicKey, roles: roles, notBefore: notBefore, notAfter: notAfter,
            clusterName: clusterName, caPublicKey: caPublicKey
        )
    }

    /// Writes every field, in field-number order, even when empty or zero (roles: one per entry).
    public func encode(to w: inout PayloadWriter) {
        w.string(1, name)
        w.bytes(2, publicKey)
        for role in roles { w.string(3, role) }
        w.int(4, notBefore)
        w.int(5, notAfter)
        w.string(6, clusterName)
        w.bytes(7, caPublicKey)
    }
}
