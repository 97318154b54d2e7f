import MeshWire

/// Payments' record of one attempt's money: what to charge, and where the authorization stands.
///
/// Legal transitions: `pending` → `authorized` | `declined` | `abandoned`; `authorized` → `captured` | `voided`;
/// `captured` → `refunded`. Each charge is authorized, captured and refunded at most once: never charged twice.
public struct Charge: WireMessage, Hashable {
    public enum Status: UInt32, Sendable, Hashable, CustomStringConvertible {
        case pending = 1
        case authorized = 2
        case declined = 3
        case captured = 4
        case voided = 5
        case refunded = 6
        case abandoned = 7

        public var description: String {
            switch self {
            case .pending: "pending"
            case .authorized: "authorized"
            case .declined: "declined"
            case .captured: "captured"
            case .voided: "voided"
            case .refunded: "refunded"
            case .abandoned: "abandoned"
            }
        }
    }

    public var attempt: UInt32
    public var status: Status = .pending
    /// Cents to authorize (the stay's price, or an upgrade's difference).
    public var amount: UInt64 = 0
    public var cardToken: String = ""
    /// The reservations event saying what to charge has arrived.
    public var hasRequest: Bool = false
    /// Inventory holds the attempt's rooms (authorization waits for both).
    public var holdHeld: Bool = false
    public var tries: UInt32 = 0
    public var retryAt: Int64 = 0
    public var authorizationCode: String = ""
    public var code: String = ""
    public var reason: String = ""
    public var captured: UInt64 = 0
    public var refunded: UInt64 = 0

    public init(attempt: UInt32) { self.attempt = attempt }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(attempt: 0)
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: attempt = try f.uint32()
            case 2:
                let v = try f.uint32()
                guard let s = Status(rawValue: v) else {
                    throw WireError(.invalidValue, "charge status \(v) is unknown")
                }
                status = s
            case 3: amount = try f.uint()
            case 4: cardToken = try f.string()
            case 5: hasRequest = try f.bool()
            case 6: holdHeld = try f.bool()
            case 7: tries = try f.uint32()
            case 8: retryAt = try f.int()
            case 9: authorizationCode = try f.string()
            case 10: code = try f.string()
            case 11: reason = try f.string()
            case 12: captured = try f.uint()
            case 13: refunded = try f.uint()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        if attempt != 0 { w.uint(1, UInt64(attempt)) }
        w.uint(2, UInt64(status.rawValue))
        if amount != 0 { w.uint(3, amount) }
        if !cardToken.isEmpty { w.string(4, cardToken) }
        if hasRequest { w.bool(5, true) }
        if holdHeld { w.bool(6, true) }
        if tries != 0 { w.uint(7, UInt64(tries)) }
        if retryAt != 0 { w.int(8, retryAt) }
        if !authorizationCode.isEmpty { w.string(9, authorizationCode) }
        if !code.isEmpty { w.string(10, code) }
        if !reason.isEmpty { w.string(11, reason) }
        if captured != 0 { w.uint(12, captured) }
        if refunded != 0 { w.uint(13, refunded) }
    }
}

/// All charges of one reservation (`payments/Get`): `1 reservationId, 2 hotelId, 3 charges repeated` (attempt order).
public struct PaymentAccount: WireMessage, Hashable {
    public var reservationId: String
    public var hotelId: String
    public var charges: [UInt32: Charge] = [:]

    public init(reservationId: String, hotelId: String) {
        self.reservationId = reservationId
        self.hotelId = hotelId
    }

    /// Cents captured and not refunded: what the guest has paid.
    public var netCaptured: UInt64 { charges.values.reduce(0) { $0 + $1.captured - $1.refunded } }
    public var capturedTotal: UInt64 { charges.values.reduce(0) { $0 + $1.captured } }
    public var refundedTotal: UInt64 { charges.values.reduce(0) { $0 + $1.refunded } }
    /// Charges authorized and neither captured nor voided yet.
    public var openAuthorizations: Int { charges.values.filter { $0.status == .authorized }.count }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(reservationId: "", hotelId: "")
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: reservationId = try f.string()
            case 2: hotelId = try f.string()
            case 3:
                let c = try f.message(Charge.self)
                charges[c.attempt] = c
            default: break
            }
        }
        try HotelWire.require(reservationId, "reservation id", 1)
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, reservationId)
        if !hotelId.isEmpty { w.string(2, hotelId) }
        for attempt in charges.keys.sorted() { w.message(3, charges[attempt]!) }
    }
}
