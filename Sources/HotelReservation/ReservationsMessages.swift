import MeshWire

/// `reservations/Create`: `1 idempotencyKey, 2 guestId, 3 hotelId, 4 stay, 5 cardToken, 6 holdTtlMillis`
/// (0 = the default hold time to live).
public struct CreateReservationRequest: WireMessage, Hashable {
    public var idempotencyKey: String
    public var guestId: String
    public var hotelId: String
    public var stay: Stay
    public var cardToken: String
    public var holdTtlMillis: UInt64 = 0

    public init(
        idempotencyKey: String, guestId: String, hotelId: String, stay: Stay, cardToken: String,
        holdTtlMillis: UInt64 = 0
    ) {
        self.idempotencyKey = idempotencyKey
        self.guestId = guestId
        self.hotelId = hotelId
        self.stay = stay
        self.cardToken = cardToken
        self.holdTtlMillis = holdTtlMillis
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(
            idempotencyKey: "", guestId: "", hotelId: "", stay: Stay(roomType: "", checkIn: 0, checkOut: 0),
            cardToken: "")
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: idempotencyKey = try f.string()
            case 2: guestId = try f.string()
            case 3: hotelId = try f.string()
            case 4: stay = try f.message(Stay.self)
            case 5: cardToken = try f.string()
            case 6: holdTtlMillis = try f.uint()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        if !idempotencyKey.isEmpty { w.string(1, idempotencyKey) }
        if !guestId.isEmpty { w.string(2, guestId) }
        if !hotelId.isEmpty { w.string(3, hotelId) }
        w.message(4, stay)
        if !cardToken.isEmpty { w.string(5, cardToken) }
        if holdTtlMillis != 0 { w.uint(6, holdTtlMillis) }
    }
}

/// `reservations/Upgrade`: `1 reservationId, 2 stay (same hotel), 3 cardToken (empty = the reservation's card),
/// 4 holdTtlMillis`.
public struct UpgradeReservationRequest: WireMessage, Hashable {
    public var reservationId: String
    public var stay: Stay
    public var cardToken: String = ""
    public var holdTtlMillis: UInt64 = 0

    public init(reservationId: String, stay: Stay, cardToken: String = "", holdTtlMillis: UInt64 = 0) {
        self.reservationId = reservationId
        self.stay = stay
        self.cardToken = cardToken
        self.holdTtlMillis = holdTtlMillis
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(reservationId: "", stay: Stay(roomType: "", checkIn: 0, checkOut: 0))
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: reservationId = try f.string()
            case 2: stay = try f.message(Stay.self)
            case 3: cardToken = try f.string()
            case 4: holdTtlMillis = try f.uint()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        if !reservationId.isEmpty { w.string(1, reservationId) }
        w.message(2, stay)
        if !cardToken.isEmpty { w.string(3, cardToken) }
        if holdTtlMillis != 0 { w.uint(4, holdTtlMillis) }
    }
}

/// A request naming one key and, optionally, a reason: `1 key, 2 reason`. Used by `reservations/Get`,
/// `reservations/Cancel` (key = reservation id), `reservations/Saga`, `reservations/ListByGuest` (key = guest id)
/// and `payments/Get`.
public struct KeyRequest: WireMessage, Hashable {
    public var key: String
    public var reason: String = ""

    public init(_ key: String, reason: String = "") {
        self.key = key
        self.reason = reason
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init("")
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: key = try f.string()
            case 2: reason = try f.string()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        if !key.isEmpty { w.string(1, key) }
        if !reason.isEmpty { w.string(2, reason) }
    }
}

/// A list of messages of one type as field 1, repeated: `ReservationList`, `SagaList`, `HoldList`, ….
public struct MessageList<Element: WireMessage & Hashable>: WireMessage, Hashable {
    public var items: [Element]

    public init(_ items: [Element]) { self.items = items }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        items = []
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            if f.number == 1 { items.append(try f.message(Element.self)) }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        for item in items { w.message(1, item) }
    }
}

/// `reservations/ListSagas`: `1 includeFinished bool, 2 limit uint32 (0 = 100)`.
public struct SagaListRequest: WireMessage, Hashable {
    public var includeFinished: Bool = false
    public var limit: UInt32 = 0

    public init(includeFinished: Bool = false, limit: UInt32 = 0) {
        self.includeFinished = includeFinished
        self.limit = limit
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init()
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: includeFinished = try f.bool()
            case 2: limit = try f.uint32()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        if includeFinished { w.bool(1, true) }
        if limit != 0 { w.uint(2, UInt64(limit)) }
    }
}
