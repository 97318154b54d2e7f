import MeshWire

/// A request with no fields (`inventory/Heads`).
public struct EmptyRequest: WireMessage, Hashable {
    public init() {}
    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        while try r.next() != nil {}
    }
    public func encode(to w: inout PayloadWriter) {}
}

/// `inventory/GetHotel`: `1 hotelId, 2 checkIn, 3 checkOut` (nights `checkIn..<checkOut`, at most 366).
public struct HotelQuery: WireMessage, Hashable {
    public var hotelId: String
    public var checkIn: UInt32
    public var checkOut: UInt32

    public init(hotelId: String, checkIn: UInt32, checkOut: UInt32) {
        self.hotelId = hotelId
        self.checkIn = checkIn
        self.checkOut = checkOut
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(hotelId: "", checkIn: 0, checkOut: 0)
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: hotelId = try f.string()
            case 2: checkIn = try f.uint32()
            case 3: checkOut = try f.uint32()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        if !hotelId.isEmpty { w.string(1, hotelId) }
        if checkIn != 0 { w.uint(2, UInt64(checkIn)) }
        if checkOut != 0 { w.uint(3, UInt64(checkOut)) }
    }
}

/// One room type of a `HotelAvailability`: `1 roomType, 2 capacity, 3 nightlyPrice, 4 free (rooms free on every
/// night of the range), 5 nights repeated {1 night, 2 held, 3 booked}` (nights with nothing taken are omitted).
public struct RoomTypeAvailability: WireMessage, Hashable {
    public struct Night: Hashable, Sendable {
        public var night: UInt32
        public var use: NightUse
    }

    public var roomType: String
    public var capacity: UInt32
    public var nightlyPrice: UInt64
    public var free: UInt32
    public var nights: [Night] = []

    public init(roomType: String, capacity: UInt32, nightlyPrice: UInt64, free: UInt32, nights: [Night] = []) {
        self.roomType = roomType
        self.capacity = capacity
        self.nightlyPrice = nightlyPrice
        self.free = free
        self.nights = nights
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(roomType: "", capacity: 0, nightlyPrice: 0, free: 0)
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: roomType = try f.string()
            case 2: capacity = try f.uint32()
            case 3: nightlyPrice = try f.uint()
            case 4: free = try f.uint32()
            case 5:
                var n = PayloadReader(try f.bytes())
                var night = Night(night: 0, use: NightUse())
                while let g = try n.next() {
                    switch g.number {
                    case 1: night.night = try g.uint32()
                    case 2: night.use.held = try g.uint32()
                    case 3: night.use.booked = try g.uint32()
                    default: break
                    }
                }
                nights.append(night)
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, roomType)
        if capacity != 0 { w.uint(2, UInt64(capacity)) }
        if nightlyPrice != 0 { w.uint(3, nightlyPrice) }
        if free != 0 { w.uint(4, UInt64(free)) }
        for n in nights {
            w.message(5) { e in
                e.uint(1, UInt64(n.night))
                if n.use.held != 0 { e.uint(2, UInt64(n.use.held)) }
                if n.use.booked != 0 { e.uint(3, UInt64(n.use.booked)) }
            }
        }
    }
}

/// `inventory/GetHotel` response: `1 hotelId, 2 name, 3 city, 4 version, 5 lastEventAt, 6 roomTypes repeated`.
public struct HotelAvailability: WireMessage, Hashable {
    public var hotelId: String
    public var name: String
    public var city: String
    public var version: UInt64
    public var lastEventAt: Int64
    public var roomTypes: [RoomTypeAvailability]

    public init(
        hotelId: String, name: String, city: String, version: UInt64, lastEventAt: Int64,
        roomTypes: [RoomTypeAvailability]
    ) {
        self.hotelId = hotelId
        self.name = name
        self.city = city
        self.version = version
        self.lastEventAt = lastEventAt
        self.roomTypes = roomTypes
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(hotelId: "", name: "", city: "", version: 0, lastEventAt: 0, roomTypes: [])
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: hotelId = try f.string()
            case 2: name = try f.string()
            case 3: city = try f.string()
            case 4: version = try f.uint()
            case 5: lastEventAt = try f.int()
            case 6: roomTypes.append(try f.message(RoomTypeAvailability.self))
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, hotelId)
        if !name.isEmpty { w.string(2, name) }
        if !city.isEmpty { w.string(3, city) }
        if version != 0 { w.uint(4, version) }
        if lastEventAt != 0 { w.int(5, lastEventAt) }
        for t in roomTypes { w.message(6, t) }
    }
}

/// How far a hotel's event stream has got: `1 hotelId, 2 version, 3 at` (the `at` of event `version`).
/// Inventory reports its heads; search reports what it applied; the difference is search's lag.
public struct HotelHead: WireMessage, Hashable {
    public var hotelId: String
    public var version: UInt64
    public var at: Int64

    public init(hotelId: String, version: UInt64, at: Int64) {
        self.hotelId = hotelId
        self.version = version
        self.at = at
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(hotelId: "", version: 0, at: 0)
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: hotelId = try f.string()
            case 2: version = try f.uint()
            case 3: at = try f.int()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, hotelId)
        if version != 0 { w.uint(2, version) }
        if at != 0 { w.int(3, at) }
    }
}

/// `inventory/Holds`: `1 hotelId, 2 reservationId`.
public struct HoldQuery: WireMessage, Hashable {
    public var hotelId: String
    public var reservationId: String

    public init(hotelId: String, reservationId: String) {
        self.hotelId = hotelId
        self.reservationId = reservationId
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(hotelId: "", reservationId: "")
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: hotelId = try f.string()
            case 2: reservationId = try f.string()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        if !hotelId.isEmpty { w.string(1, hotelId) }
        if !reservationId.isEmpty { w.string(2, reservationId) }
    }
}
