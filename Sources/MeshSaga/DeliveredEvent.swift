import MeshCore
import MeshWire

/// One event as carried by `mesh.outbox/Deliver` (proto-spec/outbox.md):
/// `1: origin node (string), 2: epoch (fixed64), 3: sequence (varint), 4: type (varint), 5: stream key (string),
/// 6: payload (bytes)`.
public struct DeliveredEvent: WireMessage, Hashable {
    public var id: EventID
    public var type: UInt16
    public var streamKey: String
    public var payload: [UInt8]

    public init(id: EventID, type: UInt16, streamKey: String, payload: [UInt8]) {
        self.id = id
        self.type = type
        self.streamKey = streamKey
        self.payload = payload
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        var node = ""
        var epoch: UInt64 = 0
        var sequence: UInt64 = 0
        var type: UInt64 = 0
        var key = ""
        var payload: [UInt8] = []
        while let f = try r.next() {
            switch f.number {
            case 1: node = try f.string()
            case 2: epoch = try f.uint()
            case 3: sequence = try f.uint()
            case 4: type = try f.uint()
            case 5: key = try f.string()
            case 6: payload = Array(try f.bytes())
            default: break
            }
        }
        guard !node.isEmpty else { throw WireError(.missingField, "event has no origin node (field 1)") }
        guard sequence >= 1 else { throw WireError(.missingField, "event has no sequence (field 3)") }
        guard type <= UInt64(UInt16.max) else { throw WireError(.invalidValue, "event type \(type) exceeds 16 bits") }
        self.id = EventID(origin: EventOrigin(node: NodeName(node), epoch: epoch), sequence: sequence)
        self.type = UInt16(type)
        self.streamKey = key
        self.payload = payload
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, id.origin.node.rawValue)
        w.fixed64(2, id.origin.epoch)
        w.uint(3, id.sequence)
        w.uint(4, UInt64(type))
        if !streamKey.isEmpty { w.string(5, streamKey) }
        if !payload.isEmpty { w.bytes(6, payload) }
    }
}
