import MeshSaga
import MeshWire

/// The payload of every reservations event (types 0x0101…0x0108), stream key = reservation id. Fields 1–3 are
/// the `SagaEnvelope`; which of the others a type carries is in proto-spec/hotel.md ("Reservations events").
public struct ReservationEvent: WireMessage, Hashable {
    public var reservationId: String
    public var attempt: UInt32 = 0
    public var hotelId: String
    public var guestId: String = ""
    public var idempotencyKey: String = ""
    public var stay: Stay?
    public var cardToken: String = ""
    /// Cents: the price of the stay (requested, confirmed) or the new total (upgrade).
    public var amount: UInt64 = 0
    public var holdTtlNanos: UInt64 = 0
    /// Machine-readable reason (`HotelRejection` / decline codes) of a rejection or failure.
    public var code: String = ""
    public var reason: String = ""
    /// For upgrades: the attempt whose booking the upgrade replaces.
    public var previousAttempt: UInt32 = 0
    /// For `UpgradeRequested`: cents to authorize on top of what was paid.
    public var difference: UInt64 = 0
    /// For `SagaStepObserved`: the observed event's type and a one-line summary of it.
    public var sourceType: UInt16 = 0
    public var detail: String = ""
    /// For `SagaStepObserved`: the saga's next deadline the observed event set (a hold's expiry), 0 for none.
    public var deadline: Int64 = 0

    public init(reservationId: String, attempt: UInt32 = 0, hotelId: String) {
        self.reservationId = reservationId
        self.attempt = attempt
        self.hotelId = hotelId
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        let envelope = try SagaEnvelope(decoding: bytes)
        self.init(reservationId: envelope.reservationId, attempt: envelope.attempt, hotelId: envelope.hotelId)
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 4: guestId = try f.string()
            case 5: idempotencyKey = try f.string()
            case 6: stay = try f.message(Stay.self)
            case 7: cardToken = try f.string()
            case 8: amount = try f.uint()
            case 9: holdTtlNanos = try f.uint()
            case 10: code = try f.string()
            case 11: reason = try f.string()
            case 12: previousAttempt = try f.uint32()
            case 13: difference = try f.uint()
            case 14: sourceType = try HotelWire.eventType(f)
            case 15: detail = try f.string()
            case 16: deadline = try f.int()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        SagaEnvelope(reservationId: reservationId, attempt: attempt, hotelId: hotelId).encode(to: &w)
        if !guestId.isEmpty { w.string(4, guestId) }
        if !idempotencyKey.isEmpty { w.string(5, idempotencyKey) }
        if let stay { w.message(6, stay) }
        if !cardToken.isEmpty { w.string(7, cardToken) }
        if amount != 0 { w.uint(8, amount) }
        if holdTtlNanos != 0 { w.uint(9, holdTtlNanos) }
        if !code.isEmpty { w.string(10, code) }
        if !reason.isEmpty { w.string(11, reason) }
        if previousAttempt != 0 { w.uint(12, UInt64(previousAttempt)) }
        if difference != 0 { w.uint(13, difference) }
        if sourceType != 0 { w.uint(14, UInt64(sourceType)) }
        if !detail.isEmpty { w.string(15, detail) }
        if deadline != 0 { w.int(16, deadline) }
    }

    /// This payload as a record of `type` in the reservation's stream.
    public func event(_ type: HotelEventType) -> DomainEvent {
        DomainEvent(type: type.rawValue, streamKey: reservationId, payload: encoded())
    }
}
