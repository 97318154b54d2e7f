import MeshWire

/// One gossiped statement about a member: the unit of dissemination and of push-pull state.
///
/// Wire: `{1: kind, 2: name, 3: incarnation, 4: metadata (alive only), 5: source}`. An alive update
/// always carries metadata whose name equals `name`.
public struct MemberUpdate: Hashable, Sendable, WireMessage {
    public enum Kind: UInt8, Hashable, Sendable {
        case alive = 0
        case suspect = 1
        case dead = 2
        case left = 3
    }

    public var kind: Kind
    public var name: String
    public var incarnation: UInt64
    public var metadata: MemberMetadata?
    /// Who accuses (suspect) or declared (dead); empty for alive and left.
    public var source: String

    public init(kind: Kind, name: String, incarnation: UInt64, metadata: MemberMetadata? = nil, source: String = "") {
        self.kind = kind
        self.name = name
        self.incarnation = incarnation
        self.metadata = metadata
        self.source = source
    }

    public static func alive(_ metadata: MemberMetadata, incarnation: UInt64) -> MemberUpdate {
        MemberUpdate(kind: .alive, name: metadata.name, incarnation: incarnation, metadata: metadata)
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var kind = Kind.alive
        var name = ""
        var incarnation: UInt64 = 0
        var source = ""
        var metadata: MemberMetadata?
        var reader = PayloadReader(bytes)
        while let field = try reader.next() {
            switch field.number {
            case 1:
                let raw = try field.uint()
                guard raw <= 3, let k = Kind(rawValue: UInt8(raw)) else {
                    throw WireError(.invalidValue, "member update kind \(raw) is not 0...3")
                }
                kind = k
            case 2: name = try field.string()
            case 3: incarnation = try field.uint()
            case 4: metadata = try field.message(MemberMetadata.self)
            case 5: source = try field.string()
            default: break
            }
        }
        guard !name.isEmpty else { throw WireError(.missingField, "member update has no name (field 2)") }
        if kind == .alive {
            guard let metadata else { throw WireError(.missingField, "alive update for \(name) has no metadata") }
            guard metadata.name == name else {
                throw WireError(.invalidValue, "alive update for \(name) carries metadata of \(metadata.name)")
            }
        }
        self.init(kind: kind, name: name, incarnation: incarnation, metadata: metadata, source: source)
    }

    public func encode(to writer: inout PayloadWriter) {
        if kind != .alive { writer.uint(1, UInt64(kind.rawValue)) }
        writer.string(2, name)
        if incarnation != 0 { writer.uint(3, incarnation) }
        if let metadata { writer.message(4, metadata) }
        if !source.isEmpty { writer.string(5, source) }
    }
}
