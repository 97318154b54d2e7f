import MeshWire

/// The membership protocol's messages. They travel as one-way frames over the authenticated
/// transport, so they carry no signatures. See proto-spec/membership.md.
///
/// Wire: an envelope with exactly one of fields 1...6, each a nested message:
/// ping `{1: seq, 2: target, 3*: update}`, ack `{1: seq, 3*: update}`,
/// pingRequest `{1: seq, 2: target, 3*: update, 4: targetAddress}`, nack `{1: seq}`,
/// gossip `{3*: update}`, pushPull `{3*: update, 5: isReply}`.
public enum SWIMMessage: Hashable, Sendable, WireMessage {
    case ping(sequence: UInt64, target: String, gossip: [MemberUpdate])
    case ack(sequence: UInt64, gossip: [MemberUpdate])
    case pingRequest(sequence: UInt64, target: String, targetAddress: String, gossip: [MemberUpdate])
    case nack(sequence: UInt64)
    case gossip([MemberUpdate])
    case pushPull(state: [MemberUpdate], isReply: Bool)

    /// The updates the message carries (piggybacked gossip or push-pull state).
    public var updates: [MemberUpdate] {
        switch self {
        case .ping(_, _, let g), .ack(_, let g), .pingRequest(_, _, _, let g), .gossip(let g): g
        case .pushPull(let state, _): state
        case .nack: []
        }
    }

    public func encode(to writer: inout PayloadWriter) {
        switch self {
        case .ping(let seq, let target, let gossip):
            writer.message(1) { body in
                body.uint(1, seq)
                body.string(2, target)
                for update in gossip { body.message(3, update) }
            }
        case .ack(let seq, let gossip):
            writer.message(2) { body in
                body.uint(1, seq)
                for update in gossip { body.message(3, update) }
            }
        case .pingRequest(let seq, let target, let address, let gossip):
            writer.message(3) { body in
                body.uint(1, seq)
                body.string(2, target)
                for update in gossip { body.message(3, update) }
                body.string(4, address)
            }
        case .nack(let seq):
            writer.message(4) { body in body.uint(1, seq) }
        case .gossip(let gossip):
            writer.message(5) { body in
                for update in gossip { body.message(3, update) }
            }
        case .pushPull(let state, let isReply):
            writer.message(6) { body in
                for update in state { body.message(3, update) }
                if isReply { body.bool(5, true) }
            }
        }
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var reader = PayloadReader(bytes)
        var decoded: SWIMMessage?
        while let field = try reader.next() {
            guard (1...6).contains(field.number) else { continue }
            guard decoded == nil else {
                throw WireError(.invalidValue, "membership message carries more than one variant")
            }
            decoded = try Self.decodeVariant(field.number, try field.bytes())
        }
        guard let decoded else { throw WireError(.missingField, "membership message carries no variant (fields 1-6)") }
        self = decoded
    }

    private static func decodeVariant(_ number: Int, _ body: ArraySlice<UInt8>) throws(WireError) -> SWIMMessage {
        var seq: UInt64 = 0, target = "", address = "", isReply = false
        var updates: [MemberUpdate] = []
        var reader = PayloadReader(body)
        while let field = try reader.next() {
            switch field.number {
            case 1: seq = try field.uint()
            case 2: target = try field.string()
            case 3: updates.append(try field.message(MemberUpdate.self))
            case 4: address = try field.string()
            case 5: isReply = try field.bool()
            default: break
            }
        }
        switch number {
        case 1:
            guard !target.isEmpty else { throw WireError(.missingField, "ping has no target (field 2)") }
            return .ping(sequence: seq, target: target, gossip: updates)
        case 2: return .ack(sequence: seq, gossip: updates)
        case 3:
            guard !target.isEmpty, !address.isEmpty else {
                throw WireError(.missingField, "ping request needs a target (field 2) and its address (field 4)")
            }
            return .pingRequest(sequence: seq, target: target, targetAddress: address, gossip: updates)
        case 4: return .nack(sequence: seq)
        case 5: return .gossip(updates)
        default: return .pushPull(state: updates, isReply: isReply)
        }
    }
}
