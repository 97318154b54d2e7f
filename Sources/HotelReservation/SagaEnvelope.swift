import MeshSaga
import MeshWire

/// The fields every saga event starts with (`ReservationEvent`, `HoldEvent`, `PaymentEvent`):
/// `1 reservationId`, `2 attempt`, `3 hotelId`. Reading only these routes any saga event to its owner in any
/// service (reservations and payments by reservation id, inventory by hotel id, search by the hotel's city)
/// without knowing its type.
public struct SagaEnvelope: WireMessage, Hashable {
    public var reservationId: String
    /// 0 for the original booking, 1, 2, … for each upgrade of the reservation.
    public var attempt: UInt32
    public var hotelId: String

    public init(reservationId: String, attempt: UInt32, hotelId: String) {
        self.reservationId = reservationId
        self.attempt = attempt
        self.hotelId = hotelId
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        var reservationId = ""
        var attempt: UInt32 = 0
        var hotelId = ""
        while let f = try r.next() {
            switch f.number {
            case 1: reservationId = try f.string()
            case 2: attempt = try f.uint32()
            case 3: hotelId = try f.string()
            default: break
            }
        }
        guard !reservationId.isEmpty else { throw WireError(.missingField, "saga event has no reservationId (1)") }
        guard !hotelId.isEmpty else { throw WireError(.missingField, "saga event has no hotelId (3)") }
        self.init(reservationId: reservationId, attempt: attempt, hotelId: hotelId)
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, reservationId)
        if attempt != 0 { w.uint(2, UInt64(attempt)) }
        w.string(3, hotelId)
    }

    /// The envelope of `event`'s payload, or nil if it is not a saga event.
    static func of(_ event: DomainEvent) -> SagaEnvelope? {
        try? SagaEnvelope(decoding: event.payload[...])
    }

    /// The partition key of `event` for a service whose own event types are `own`: an own event's stream key;
    /// another service's saga event by the envelope field `key` names (its reservation or hotel id).
    static func partitionKey(
        of event: DomainEvent, own: Set<HotelEventType>, other key: (SagaEnvelope) -> String
    ) -> String {
        if let type = HotelEventType(rawValue: event.type), own.contains(type) { return event.streamKey }
        return of(event).map(key) ?? event.streamKey
    }
}
