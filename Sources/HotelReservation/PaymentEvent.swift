import MeshSaga
import MeshWire

/// The payload of every payments event (types 0x0301…0x0309), stream key = reservation id. Fields 1–3 are the
/// `SagaEnvelope`; which of the others a type carries is in proto-spec/hotel.md ("Payments events").
public struct PaymentEvent: WireMessage, Hashable {
    public var reservationId: String
    public var attempt: UInt32 = 0
    public var hotelId: String
    /// Cents authorized, captured, voided or refunded (or to authorize, for `PaymentRequested`).
    public var amount: UInt64 = 0
    /// Decline / void code (`cardDeclined`, `amountOverLimit`, `providerTimeout`, `holdExpired`, …).
    public var code: String = ""
    public var reason: String = ""
    public var authorizationCode: String = ""
    /// `PaymentRequested` only: the card to charge (a provider token, never a card number).
    public var cardToken: String = ""
    /// `PaymentTimedOut`: authorization tries so far, and when the next one is due (wall-clock ns).
    public var tries: UInt32 = 0
    public var retryAt: Int64 = 0

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
            case 4: amount = try f.uint()
            case 5: code = try f.string()
            case 6: reason = try f.string()
            case 7: authorizationCode = try f.string()
            case 8: cardToken = try f.string()
            case 9: tries = try f.uint32()
            case 10: retryAt = try f.int()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        SagaEnvelope(reservationId: reservationId, attempt: attempt, hotelId: hotelId).encode(to: &w)
        if amount != 0 { w.uint(4, amount) }
        if !code.isEmpty { w.string(5, code) }
        if !reason.isEmpty { w.string(6, reason) }
        if !authorizationCode.isEmpty { w.string(7, authorizationCode) }
        if !cardToken.isEmpty { w.string(8, cardToken) }
        if tries != 0 { w.uint(9, UInt64(tries)) }
        if retryAt != 0 { w.int(10, retryAt) }
    }

    /// This payload as a record of `type` in the reservation's payment stream.
    public func event(_ type: HotelEventType) -> DomainEvent {
        DomainEvent(type: type.rawValue, streamKey: reservationId, payload: encoded())
    }
}
