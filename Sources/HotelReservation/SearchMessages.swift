import MeshWire

/// `search/Find`: `1 city, 2 checkIn, 3 checkOut, 4 rooms (0 = 1), 5 roomType (empty = any)`.
public struct AvailabilitySearch: WireMessage, Hashable {
    public var city: String
    public var checkIn: UInt32
    public var checkOut: UInt32
    public var rooms: UInt32 = 1
    public var roomType: String = ""

    public init(city: String, checkIn: UInt32, checkOut: UInt32, rooms: UInt32 = 1, roomType: String = "") {
        self.city = city
        self.checkIn = checkIn
        self.checkOut = checkOut
        self.rooms = rooms
        self.roomType = roomType
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(city: "", checkIn: 0, checkOut: 0, rooms: 0)
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: city = try f.string()
            case 2: checkIn = try f.uint32()
            case 3: checkOut = try f.uint32()
            case 4: rooms = try f.uint32()
            case 5: roomType = try f.string()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        if !city.isEmpty { w.string(1, city) }
        if checkIn != 0 { w.uint(2, UInt64(checkIn)) }
        if checkOut != 0 { w.uint(3, UInt64(checkOut)) }
        if rooms != 0 { w.uint(4, UInt64(rooms)) }
        if !roomType.isEmpty { w.string(5, roomType) }
    }
}

/// One answer of `search/Find`: `1 hotelId, 2 name, 3 roomType, 4 free, 5 totalPrice (cents, for the rooms asked)`.
public struct HotelOffer: WireMessage, Hashable {
    public var hotelId: String
    public var name: String
    public var roomType: String
    public var free: UInt32
    public var totalPrice: UInt64

    public init(hotelId: String, name: String, roomType: String, free: UInt32, totalPrice: UInt64) {
        self.hotelId = hotelId
        self.name = name
        self.roomType = roomType
        self.free = free
        self.totalPrice = totalPrice
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(hotelId: "", name: "", roomType: "", free: 0, totalPrice: 0)
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: hotelId = try f.string()
            case 2: name = try f.string()
            case 3: roomType = try f.string()
            case 4: free = try f.uint32()
            case 5: totalPrice = try f.uint()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, hotelId)
        if !name.isEmpty { w.string(2, name) }
        w.string(3, roomType)
        if free != 0 { w.uint(4, UInt64(free)) }
        if totalPrice != 0 { w.uint(5, totalPrice) }
    }
}

/// `search/Find` response: `1 offers repeated HotelOffer (by hotel id, then room type), 2 appliedEvents,
/// 3 lastAppliedAt, 4 lastDelayNanos` (how stale the answer may be).
public struct SearchResults: WireMessage, Hashable {
    public var offers: [HotelOffer]
    public var appliedEvents: UInt64
    public var lastAppliedAt: Int64
    public var lastDelayNanos: Int64

    public init(offers: [HotelOffer], appliedEvents: UInt64, lastAppliedAt: Int64, lastDelayNanos: Int64) {
        self.offers = offers
        self.appliedEvents = appliedEvents
        self.lastAppliedAt = lastAppliedAt
        self.lastDelayNanos = lastDelayNanos
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(offers: [], appliedEvents: 0, lastAppliedAt: 0, lastDelayNanos: 0)
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: offers.append(try f.message(HotelOffer.self))
            case 2: appliedEvents = try f.uint()
            case 3: lastAppliedAt = try f.int()
            case 4: lastDelayNanos = try f.int()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        for o in offers { w.message(1, o) }
        if appliedEvents != 0 { w.uint(2, appliedEvents) }
        if lastAppliedAt != 0 { w.int(3, lastAppliedAt) }
        if lastDelayNanos != 0 { w.int(4, lastDelayNanos) }
    }
}

/// `search/Lag`: `1 city, 2 heads repeated HotelHead` (inventory's heads, from `inventory/Heads` of every
/// partition; heads of hotels outside `city` are ignored).
public struct SearchLagRequest: WireMessage, Hashable {
    public var city: String
    public var heads: [HotelHead]

    public init(city: String, heads: [HotelHead]) {
        self.city = city
        self.heads = heads
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(city: "", heads: [])
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: city = try f.string()
            case 2: heads.append(try f.message(HotelHead.self))
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        if !city.isEmpty { w.string(1, city) }
        for h in heads { w.message(2, h) }
    }
}

/// `search/Lag` response: `1 lagEvents` (inventory events of the city's hotels not applied yet), `2 lagNanos`
/// (the largest, over lagging hotels, of inventory's newest event time minus that of the newest event applied here),
/// `3 appliedEvents`, `4 applied repeated HotelHead` (this read model's position per hotel of the city).
public struct SearchLag: WireMessage, Hashable {
    public var lagEvents: UInt64
    public var lagNanos: Int64
    public var appliedEvents: UInt64
    public var applied: [HotelHead]

    public init(lagEvents: UInt64, lagNanos: Int64, appliedEvents: UInt64, applied: [HotelHead]) {
        self.lagEvents = lagEvents
        self.lagNanos = lagNanos
        self.appliedEvents = appliedEvents
        self.applied = applied
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(lagEvents: 0, lagNanos: 0, appliedEvents: 0, applied: [])
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: lagEvents = try f.uint()
            case 2: lagNanos = try f.int()
            case 3: appliedEvents = try f.uint()
            case 4: applied.append(try f.message(HotelHead.self))
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        if lagEvents != 0 { w.uint(1, lagEvents) }
        if lagNanos != 0 { w.int(2, lagNanos) }
        if appliedEvents != 0 { w.uint(3, appliedEvents) }
        for h in applied { w.message(4, h) }
    }
}
