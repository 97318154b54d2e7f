import MeshSaga
import MeshWire

/// Search's own event: an inventory event it has taken into its read model, kept whole (`1 sourceType uint32,
/// 2 source bytes` = the inventory event's `HoldEvent` payload). Stream key = the hotel's city.
public struct AvailabilityProjected: WireMessage, Hashable {
    public var sourceType: UInt16
    public var source: HoldEvent

    public init(sourceType: UInt16, source: HoldEvent) {
        self.sourceType = sourceType
        self.source = source
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var type: UInt16 = 0
        var source: HoldEvent?
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: type = try HotelWire.eventType(f)
            case 2: source = try f.message(HoldEvent.self)
            default: break
            }
        }
        guard let source else { throw WireError(.missingField, "AvailabilityProjected has no source (field 2)") }
        self.init(sourceType: type, source: source)
    }

    public func encode(to w: inout PayloadWriter) {
        w.uint(1, UInt64(sourceType))
        w.message(2, source)
    }

    public func event(city: String) -> DomainEvent {
        DomainEvent(type: HotelEventType.availabilityProjected.rawValue, streamKey: city, payload: encoded())
    }
}
