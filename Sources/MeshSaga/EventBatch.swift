import MeshWire

/// The events one decision of a hosted service produced (a command, or what time made due), as ONE log record,
/// so they are durable together or not at all: a torn tail keeps a valid prefix of records, never part of one.
///
/// Also the payload of a `DeliveredEvent` of this type when the relay sends a subscriber several events of one
/// record. Encoding: `1: repeated event {1: type, 2: stream key, 3: payload}` (the effect encoding of
/// `InboxEntry`), `2: decidedAt (sfixed64, ns since the Unix epoch)`.
public struct EventBatch: WireMessage, Hashable {
    /// Log record type of event batches in a hosted service's log.
    public static let recordType: UInt16 = 0xFE03

    public var events: [DomainEvent]
    /// When the host decided these events (the `now` the domain was given); `apply` receives it as `timestamp`.
    public var decidedAt: Int64

    public init(events: [DomainEvent], decidedAt: Int64) {
        self.events = events
        self.decidedAt = decidedAt
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        var events: [DomainEvent] = []
        var decidedAt: Int64 = 0
        while let f = try r.next() {
            switch f.number {
            case 1: events.append(try DomainEvent.decodeEffect(try f.bytes()))
            case 2: decidedAt = Int64(bitPattern: try f.uint())
            default: break
            }
        }
        self.events = events
        self.decidedAt = decidedAt
    }

    public func encode(to w: inout PayloadWriter) {
        for event in events { w.message(1) { event.encodeEffect(to: &$0) } }
        w.fixed64(2, UInt64(bitPattern: decidedAt))
    }
}

extension DomainEvent {
    /// Decodes `{1: type, 2: stream key, 3: payload}`.
    static func decodeEffect(_ bytes: ArraySlice<UInt8>) throws(WireError) -> DomainEvent {
        var e = PayloadReader(bytes)
        var event = DomainEvent(type: 0, streamKey: "", payload: [])
        while let g = try e.next() {
            switch g.number {
            case 1:
                let t = try g.uint()
                guard t <= UInt64(UInt16.max) else { throw WireError(.invalidValue, "event type \(t)") }
                event.type = UInt16(t)
            case 2: event.streamKey = try g.string()
            case 3: event.payload = Array(try g.bytes())
            default: break
            }
        }
        return event
    }

    /// Encodes `{1: type, 2: stream key, 3: payload}` (type always written, the others when not empty).
    func encodeEffect(to e: inout PayloadWriter) {
        e.uint(1, UInt64(type))
        if !streamKey.isEmpty { e.string(2, streamKey) }
        if !payload.isEmpty { e.bytes(3, payload) }
    }
}
