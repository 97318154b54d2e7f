import MeshWire

/// Rooms taken in one room type on one night: `held` (waiting for payment) and `booked`.
public struct NightUse: Hashable, Sendable {
    public var held: UInt32 = 0
    public var booked: UInt32 = 0

    public init(held: UInt32 = 0, booked: UInt32 = 0) {
        self.held = held
        self.booked = booked
    }

    public var taken: UInt32 { held + booked }
}

/// Inventory's per-hotel counters: the hotel's event version and, per room type and night, the rooms taken.
///
/// Invariant (no overbooking): for every room type and night, `held + booked` ≤ the catalogue capacity; inventory
/// holds rooms only after checking every night of the stay against it, and nothing else adds to `held`.
public struct HotelLedger: WireMessage, Hashable {
    public var hotelId: String
    /// The number of events of this hotel so far (the `version` of the last one).
    public var version: UInt64 = 0
    public var lastEventAt: Int64 = 0
    /// Room type → night → use; nights with nothing taken are absent.
    public var use: [String: [UInt32: NightUse]] = [:]

    public init(hotelId: String) { self.hotelId = hotelId }

    public func use(_ roomType: String, _ night: UInt32) -> NightUse { use[roomType]?[night] ?? NightUse() }

    /// The rooms of `stay` that are free on every one of its nights.
    public func free(for stay: Stay, capacity: UInt32) -> UInt32 {
        stay.nights.reduce(capacity) { free, night in
            min(free, capacity - min(capacity, use(stay.roomType, night).taken))
        }
    }

    /// Adds `delta` to the held or booked count of every night of `stay` (a count below zero is a logic error).
    mutating func change(_ stay: Stay, held: Int64 = 0, booked: Int64 = 0) throws(WireError) {
        for night in stay.nights {
            var u = use(stay.roomType, night)
            let h = Int64(u.held) + held * Int64(stay.rooms)
            let b = Int64(u.booked) + booked * Int64(stay.rooms)
            guard h >= 0, b >= 0 else {
                throw WireError(.invalidValue, "\(hotelId) \(stay.roomType) night \(night) would go below zero rooms")
            }
            u.held = UInt32(h)
            u.booked = UInt32(b)
            if u.taken == 0 {
                use[stay.roomType]?[night] = nil
                if use[stay.roomType]?.isEmpty == true { use[stay.roomType] = nil }
            } else {
                use[stay.roomType, default: [:]][night] = u
            }
        }
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(hotelId: "")
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: hotelId = try f.string()
            case 2: version = try f.uint()
            case 3: lastEventAt = try f.int()
            case 4:
                var e = PayloadReader(try f.bytes())
                var type = ""
                var night: UInt32 = 0
                var u = NightUse()
                while let g = try e.next() {
                    switch g.number {
                    case 1: type = try g.string()
                    case 2: night = try g.uint32()
                    case 3: u.held = try g.uint32()
                    case 4: u.booked = try g.uint32()
                    default: break
                    }
                }
                use[type, default: [:]][night] = u
            default: break
            }
        }
        try HotelWire.require(hotelId, "hotel id", 1)
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, hotelId)
        if version != 0 { w.uint(2, version) }
        if lastEventAt != 0 { w.int(3, lastEventAt) }
        for type in use.keys.sorted() {
            for (night, u) in use[type]!.sorted(by: { $0.key < $1.key }) {
                w.message(4) { e in
                    e.string(1, type)
                    e.uint(2, UInt64(night))
                    if u.held != 0 { e.uint(3, UInt64(u.held)) }
                    if u.booked != 0 { e.uint(4, UInt64(u.booked)) }
                }
            }
        }
    }
}
