import MeshSaga
import MeshWire

/// The payload of every inventory event (types 0x0201…0x0205), stream key = hotel id. Fields 1–3 are the
/// `SagaEnvelope`; each event is self-contained (it carries the stay), so the search read model needs no hold
/// table, and `version` numbers the hotel's events 1, 2, 3, … without gaps.
public struct HoldEvent: WireMessage, Hashable {
    public var reservationId: String
    public var attempt: UInt32 = 0
    public var hotelId: String
    public var stay: Stay
    /// `RoomsUnavailable`: why; `HoldReleased`: the cause (`paymentDeclined`, `cancelled`, `upgraded`).
    public var reason: String = ""
    /// `RoomsHeld`, `HoldExpired`: when the hold lapses if not booked (wall-clock ns).
    public var expiresAt: Int64 = 0
    /// The hotel's event count after this event.
    public var version: UInt64 = 0
    /// When inventory decided it (wall-clock ns).
    public var at: Int64 = 0

    public init(reservationId: String, attempt: UInt32 = 0, hotelId: String, stay: Stay) {
        self.reservationId = reservationId
        self.attempt = attempt
        self.hotelId = hotelId
        self.stay = stay
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        let envelope = try SagaEnvelope(decoding: bytes)
        self.init(
            reservationId: envelope.reservationId, attempt: envelope.attempt, hotelId: envelope.hotelId,
            stay: Stay(roomType: "", checkIn: 0, checkOut: 0, rooms: 0))
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 4: stay = try f.message(Stay.self)
            case 5: reason = try f.string()
            case 6: expiresAt = try f.int()
            case 7: version = try f.uint()
            case 8: at = try f.int()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        SagaEnvelope(reservationId: reservationId, attempt: attempt, hotelId: hotelId).encode(to: &w)
        w.message(4, stay)
        if !reason.isEmpty { w.string(5, reason) }
        if expiresAt != 0 { w.int(6, expiresAt) }
        if version != 0 { w.uint(7, version) }
        if at != 0 { w.int(8, at) }
    }

    /// This payload as a record of `type` in the hotel's stream.
    public func event(_ type: HotelEventType) -> DomainEvent {
        DomainEvent(type: type.rawValue, streamKey: hotelId, payload: encoded())
    }
}
