import MeshWire

/// The membership protocol's messages. They travel as one-way frames over the authenticated
/// transport, so they carry no signatures. See proto-spec/membership.md.
///
/// Wire: an envelope with exactly one of fields 1...9, each a nested message:
/// ping `{1: seq, 2: target, 3*: update}`, ack `{1: seq, 3*: update}`,
/// pingRequest `{1: seq, 2: target, 3*: update, 4: targetAddress}`, nack `{1: seq}`,
/// gossip `{3*: update}`, pushPull `{3*: update, 5: isReply}` (legacy full state: still answered, never sent),
/// syncOffer `{3*: update, 7: digest}`, syncBuckets `{3*: update, 6: bucket mask}`, syncEntries `{3*: update}`.
public enum SWIMMessage: Hashable, Sendable, WireMessage {
    case ping(sequence: UInt64, target: String, gossip: [MemberUpdate])
    case ack(sequence: UInt64, gossip: [MemberUpdate])
    case pingRequest(sequence: UInt64, target: String, targetAddress: String, gossip: [MemberUpdate])
    case nack(sequence: UInt64)
    case gossip([MemberUpdate])
    case pushPull(state: [MemberUpdate], isReply: Bool)
    /// Digest anti-entropy, step 1: the sender's digest, either its root alone (one value) or all
    /// 64 bucket hashes, plus piggybacked gossip.
    case syncOffer(digest: [UInt64], gossip: [MemberUpdate])
    /// Step 2, the answer to a full offer: the buckets that differ (bit i = bucket i) and the
    /// sender's entries of those buckets.
    case syncBuckets(mask: UInt64, entries: [MemberUpdate])
    /// Step 3: the offerer's entries of the buckets named in `syncBuckets`.
    case syncEntries([MemberUpdate])

    /// The updates the message carries (piggybacked gossip or push-pull state).
    public var updates: [MemberUpdate] {
        switch self {
        case .ping(_, _, let g), .ack(_, let g), .pingRequest(_, _, _, let g), .gossip(let g): g
        case .pushPull(let state, _): state
        case .syncOffer(_, let g), .syncBuckets(_, let g), .syncEntries(let g): g
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
        case .syncOffer(let digest, let gossip):
            writer.message(7) { body in
                for update in gossip { body.message(3, update) }
                body.bytes(7, Self.digestBytes(digest))
            }
        case .syncBuckets(let mask, let entries):
            writer.message(8) { body in
                for update in entries { body.message(3, update) }
                body.uint(6, mask)
            }
        case .syncEntries(let entries):
            writer.message(9) { body in
                for update in entries { body.message(3, update) }
            }
        }
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var reader = PayloadReader(bytes)
        var decoded: SWIMMessage?
        while let field = try reader.next() {
            guard (1...9).contains(field.number) else { continue }
            guard decoded == nil else {
                throw WireError(.invalidValue, "membership message carries more than one variant")
            }
            decoded = try Self.decodeVariant(field.number, try field.bytes())
        }
        guard let decoded else { throw WireError(.missingField, "membership message carries no variant (fields 1-9)") }
        self = decoded
    }

    private static func decodeVariant(_ number: Int, _ body: ArraySlice<UInt8>) throws(WireError) -> SWIMMessage {
        var seq: UInt64 = 0
        var target = ""
        var address = ""
        var isReply = false
        var mask: UInt64 = 0
        var updates: [MemberUpdate] = []
        var digest: [UInt64] = []
        var reader = PayloadReader(body)
        while let field = try reader.next() {
            switch field.number {
            case 1: seq = try field.uint()
            case 2: target = try field.string()
            case 3: updates.append(try field.message(MemberUpdate.self))
            case 4: address = try field.string()
            case 5: isReply = try field.bool()
            case 6: mask = try field.uint()
            case 7: digest = try digestValues(try field.bytes())
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
        case 6: return .pushPull(state: updates, isReply: isReply)
        case 7:
            guard !digest.isEmpty else { throw WireError(.missingField, "sync offer has no digest (field 7)") }
            return .syncOffer(digest: digest, gossip: updates)
        case 8: return .syncBuckets(mask: mask, entries: updates)
        default: return .syncEntries(updates)
        }
    }

    /// A digest as 8 bytes per value, little-endian.
    static func digestBytes(_ values: [UInt64]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 8)
        for value in values {
            for shift in stride(from: 0, to: 64, by: 8) {
                out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            }
        }
        return out
    }

    /// A digest field: a root (8 bytes) or 64 bucket hashes (512 bytes).
    private static func digestValues(_ bytes: ArraySlice<UInt8>) throws(WireError) -> [UInt64] {
        guard bytes.count == 8 || bytes.count == 8 * StateDigest.bucketCount else {
            throw WireError(.invalidValue, "sync digest is \(bytes.count) bytes, not 8 or 512")
        }
        var values: [UInt64] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            var value: UInt64 = 0
            for k in 0..<8 { value |= UInt64(bytes[index + k]) << UInt64(8 * k) }
            values.append(value)
            index += 8
        }
        return values
    }
}
