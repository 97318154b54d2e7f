import MeshWire

/// Request of `mesh.outbox/Deliver`: events of one origin in log order (`1: repeated DeliveredEvent`).
public struct DeliverRequest: WireMessage, Hashable {
    public var events: [DeliveredEvent]

    public init(events: [DeliveredEvent]) { self.events = events }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        events = []
        while let f = try r.next() {
            if f.number == 1 { events.append(try f.message(DeliveredEvent.self)) }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        for event in events { w.message(1, event) }
    }
}

/// The subscriber's verdict on one delivered event.
public enum DeliveryOutcome: Hashable, Sendable {
    /// Handled now; its effects and inbox marker are durable.
    case applied
    /// Its marker was already in the subscriber's log: no second effect.
    case duplicate
    /// The subscriber will never accept it (invalid, not merely unavailable). The relay dead-letters it.
    case rejected(reason: String)
}

/// Response of `mesh.outbox/Deliver`: one outcome per request event, same order.
/// Each outcome is `1: code (varint: 1 applied, 2 duplicate, 3 rejected), 2: reason (string)`, repeated as field 1.
public struct DeliverResponse: WireMessage, Hashable {
    public var outcomes: [DeliveryOutcome]

    public init(outcomes: [DeliveryOutcome]) { self.outcomes = outcomes }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        outcomes = []
        while let f = try r.next() {
            guard f.number == 1 else { continue }
            var inner = PayloadReader(try f.bytes())
            var code: UInt64 = 0
            var reason = ""
            while let g = try inner.next() {
                switch g.number {
                case 1: code = try g.uint()
                case 2: reason = try g.string()
                default: break
                }
            }
            switch code {
            case 1: outcomes.append(.applied)
            case 2: outcomes.append(.duplicate)
            case 3: outcomes.append(.rejected(reason: reason))
            default: throw WireError(.invalidValue, "delivery outcome code \(code) is not 1, 2 or 3")
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        for outcome in outcomes {
            w.message(1) { m in
                switch outcome {
                case .applied: m.uint(1, 1)
                case .duplicate: m.uint(1, 2)
                case .rejected(let reason):
                    m.uint(1, 3)
                    m.string(2, reason)
                }
            }
        }
    }
}
