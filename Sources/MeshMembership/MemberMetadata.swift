import MeshWire

/// What a member advertises: service discovery data carried by membership.
///
/// Invariants (checked by `validate`): the name is non-empty, the public key is empty or 32 bytes,
/// and the encoded size is at most the configured bound (`SWIMConfiguration.maxMetadataBytes`).
public struct MemberMetadata: Hashable, Sendable, WireMessage {
    /// The member's identity in the cluster (a stable name such as `inventory-1`).
    public var name: String
    /// Where the member's transport listens, `host:port`. It is also its membership address.
    public var rpcAddress: String
    /// Services the member hosts.
    public var services: [String]
    /// Event types the member subscribes to.
    public var subscriptions: [String]
    public var buildVersion: String
    public var tags: [String: String]
    /// Opaque 32-byte public key; the node shell verifies the certificate binding it to `name`.
    public var publicKey: [UInt8]

    public init(
        name: String, rpcAddress: String, services: [String] = [], subscriptions: [String] = [],
        buildVersion: String = "", tags: [String: String] = [:], publicKey: [UInt8] = []
    ) {
        self.name = name
        self.rpcAddress = rpcAddress
        self.services = services
        self.subscriptions = subscriptions
        self.buildVersion = buildVersion
        self.tags = tags
        self.publicKey = publicKey
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(name: "", rpcAddress: "")
        var reader = PayloadReader(bytes)
        while let field = try reader.next() {
            switch field.number {
            case 1: name = try field.string()
            case 2: rpcAddress = try field.string()
            case 3: services.append(try field.string())
            case 4: subscriptions.append(try field.string())
            case 5: buildVersion = try field.string()
            case 6:
                let (key, value) = try field.stringMapEntry()
                tags[key] = value
            case 7: publicKey = Array(try field.bytes())
            default: break
            }
        }
        guard !name.isEmpty else { throw WireError(.missingField, "member metadata has no name (field 1)") }
    }

    public func encode(to writer: inout PayloadWriter) {
        writer.string(1, name)
        writer.string(2, rpcAddress)
        for service in services { writer.string(3, service) }
        for subscription in subscriptions { writer.string(4, subscription) }
        if !buildVersion.isEmpty { writer.string(5, buildVersion) }
        writer.stringMap(6, tags)
        if !publicKey.isEmpty { writer.bytes(7, publicKey) }
    }

    /// Checks the invariants above against a size bound in bytes.
    public func validate(maxBytes: Int) throws(MembershipError) {
        guard !name.isEmpty else { throw MembershipError(.invalidName, "a member name must not be empty") }
        guard publicKey.isEmpty || publicKey.count == 32 else {
            throw MembershipError(.invalidPublicKey, "\(name): public key has \(publicKey.count) bytes, want 0 or 32")
        }
        let size = encoded().count
        guard size <= maxBytes else {
            throw MembershipError(.metadataTooLarge, "\(name): metadata encodes to \(size) bytes, limit is \(maxBytes)")
        }
    }
}
