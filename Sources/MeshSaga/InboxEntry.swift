import MeshCore
import MeshWire

/// A record the consumer writes to its own log for one applied event: the inbox marker and the effects of
/// handling it, in ONE log record, so either both are durable or neither is.
///
/// Encoding: `1: marker (DeliveredEvent id fields only: 1 node, 2 epoch, 3 sequence), 2: repeated effect
/// {1: type, 2: stream key, 3: payload}, 3: decidedAt (sfixed64, ns since the Unix epoch; omitted when 0)`.
public struct InboxEntry: WireMessage, Hashable {
    /// Log record type of inbox entries in the consumer's log.
    public static let recordType: UInt16 = 0xFE01

    /// One resulting event/effect the handler wants recorded.
    public struct Effect: Hashable, Sendable {
        public var type: UInt16
        public var streamKey: String
        public var payload: [UInt8]

        public init(type: UInt16, streamKey: String, payload: [UInt8]) {
            self.type = type
            self.streamKey = streamKey
            self.payload = payload
        }
    }

    public var marker: EventID
    public var effects: [Effect]
    /// When the consumer decided the effects (a hosted service's `react` time; `apply` receives it as `timestamp`).
    public var decidedAt: Int64

    public init(marker: EventID, effects: [Effect], decidedAt: Int64 = 0) {
        self.marker = marker
        self.effects = effects
        self.decidedAt = decidedAt
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        var marker: EventID?
        var effects: [Effect] = []
        var decidedAt: Int64 = 0
        while let f = try r.next() {
            switch f.number {
            case 1:
                var m = PayloadReader(try f.bytes())
                var node = ""
                var epoch: UInt64 = 0
                var sequence: UInt64 = 0
                while let g = try m.next() {
                    switch g.number {
                    case 1: node = try g.string()
                    case 2: epoch = try g.uint()
                    case 3: sequence = try g.uint()
                    default: break
                    }
                }
                guard !node.isEmpty, sequence >= 1 else {
                    throw WireError(.missingField, "inbox marker needs an origin node and a sequence ≥ 1")
                }
                marker = EventID(origin: EventOrigin(node: NodeName(node), epoch: epoch), sequence: sequence)
            case 2:
                var e = PayloadReader(try f.bytes())
                var effect = Effect(type: 0, streamKey: "", payload: [])
                while let g = try e.next() {
                    switch g.number {
                    case 1:
                        let t = try g.uint()
                        guard t <= UInt64(UInt16.max) else { throw WireError(.invalidValue, "effect type \(t)") }
                        effect.type = UInt16(t)
                    case 2: effect.streamKey = try g.string()
                    case 3: effect.payload = Array(try g.bytes())
                    default: break
                    }
                }
                effects.append(effect)
            case 3: decidedAt = Int64(bitPattern: try f.uint())
            default: break
            }
        }
        guard let marker else { throw WireError(.missingField, "inbox entry has no marker (field 1)") }
        self.marker = marker
        self.effects = effects
        self.decidedAt = decidedAt
    }

    public func encode(to w: inout PayloadWriter) {
        w.message(1) { m in
            m.string(1, marker.origin.node.rawValue)
            m.fixed64(2, marker.origin.epoch)
            m.uint(3, marker.sequence)
        }
        for effect in effects {
            w.message(2) { e in
                e.uint(1, UInt64(effect.type))
                if !effect.streamKey.isEmpty { e.string(2, effect.streamKey) }
                if !effect.payload.isEmpty { e.bytes(3, effect.payload) }
            }
        }
        if decidedAt != 0 { w.fixed64(3, UInt64(bitPattern: decidedAt)) }
    }
}
