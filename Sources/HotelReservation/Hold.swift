import MeshWire

/// Inventory's record of one attempt's rooms: `reservationId#attempt` in one hotel.
///
/// Legal transitions: `held` → `booked` | `released` | `expired`; `booked` → `released`. `unavailable` (the hold
/// was refused), `released` and `expired` are final, and are kept so a redelivered request is not held again.
public struct Hold: WireMessage, Hashable {
    public enum Status: UInt32, Sendable, Hashable, CustomStringConvertible {
        case held = 1
        case booked = 2
        case released = 3
        case expired = 4
        case unavailable = 5

        public var description: String {
            switch self {
            case .held: "held"
            case .booked: "booked"
            case .released: "released"
            case .expired: "expired"
            case .unavailable: "unavailable"
            }
        }

        /// Held and booked holds take rooms.
        public var takesRooms: Bool { self == .held || self == .booked }
    }

    public var reservationId: String
    public var attempt: UInt32
    public var hotelId: String
    public var stay: Stay
    public var status: Status
    public var expiresAt: Int64 = 0
    public var reason: String = ""

    public init(reservationId: String, attempt: UInt32, hotelId: String, stay: Stay, status: Status) {
        self.reservationId = reservationId
        self.attempt = attempt
        self.hotelId = hotelId
        self.stay = stay
        self.status = status
    }

    /// `reservationId#attempt`.
    public var id: String { Self.id(reservationId, attempt) }
    public static func id(_ reservationId: String, _ attempt: UInt32) -> String { "\(reservationId)#\(attempt)" }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        let envelope = try SagaEnvelope(decoding: bytes)
        self.init(
            reservationId: envelope.reservationId, attempt: envelope.attempt, hotelId: envelope.hotelId,
            stay: Stay(roomType: "", checkIn: 0, checkOut: 0), status: .held)
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 4: stay = try f.message(Stay.self)
            case 5:
                let v = try f.uint32()
                guard let s = Status(rawValue: v) else { throw WireError(.invalidValue, "hold status \(v) is unknown") }
                status = s
            case 6: expiresAt = try f.int()
            case 7: reason = try f.string()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        SagaEnvelope(reservationId: reservationId, attempt: attempt, hotelId: hotelId).encode(to: &w)
        w.message(4, stay)
        w.uint(5, UInt64(status.rawValue))
        if expiresAt != 0 { w.int(6, expiresAt) }
        if !reason.isEmpty { w.string(7, reason) }
    }
}
