import MeshWire

/// Search's copy of one hotel's availability, built from inventory's events alone.
///
/// Invariant: each inventory event (by its `version`) is counted once: `appliedVersions` holds the high-water mark
/// (every version up to it applied) and the versions applied above it, so a redelivered event changes nothing and
/// events applied out of order still add up (their deltas commute).
public struct HotelView: WireMessage, Hashable {
    public var hotelId: String
    public var highWater: UInt64 = 0
    public var above: Set<UInt64> = []
    /// The `at` of the newest inventory event applied, and the highest version applied.
    public var lastSourceAt: Int64 = 0
    public var lastVersion: UInt64 = 0
    /// Room type → night → rooms taken (held or booked); absent = 0.
    public var taken: [String: [UInt32: Int64]] = [:]

    public init(hotelId: String) { self.hotelId = hotelId }

    public func hasApplied(_ version: UInt64) -> Bool { version <= highWater || above.contains(version) }

    mutating func markApplied(_ version: UInt64) {
        if version == highWater + 1 {
            highWater = version
            while above.remove(highWater + 1) != nil { highWater += 1 }
        } else {
            above.insert(version)
        }
        lastVersion = max(lastVersion, version)
    }

    mutating func add(_ stay: Stay, _ sign: Int64) {
        for night in stay.nights {
            let v = (taken[stay.roomType]?[night] ?? 0) + sign * Int64(stay.rooms)
            if v != 0 {
                taken[stay.roomType, default: [:]][night] = v
            } else {
                taken[stay.roomType]?[night] = nil
                if taken[stay.roomType]?.isEmpty == true { taken[stay.roomType] = nil }
            }
        }
    }

    /// Rooms of `roomType` free on every night of `nights`, given `capacity`.
    public func free(_ roomType: String, _ nights: Range<UInt32>, capacity: UInt32) -> UInt32 {
        let row = taken[roomType] ?? [:]
        let most = nights.reduce(Int64(0)) { max($0, row[$1] ?? 0) }
        return UInt32(clamping: Int64(capacity) - most)
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(hotelId: "")
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: hotelId = try f.string()
            case 2: highWater = try f.uint()
            case 3: above.insert(try f.uint())
            case 4: lastSourceAt = try f.int()
            case 5: lastVersion = try f.uint()
            case 6:
                var e = PayloadReader(try f.bytes())
                var type = ""
                var night: UInt32 = 0
                var count: Int64 = 0
                while let g = try e.next() {
                    switch g.number {
                    case 1: type = try g.string()
                    case 2: night = try g.uint32()
                    case 3: count = try g.int()
                    default: break
                    }
                }
                taken[type, default: [:]][night] = count
            default: break
            }
        }
        try HotelWire.require(hotelId, "hotel id", 1)
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, hotelId)
        if highWater != 0 { w.uint(2, highWater) }
        for v in above.sorted() { w.uint(3, v) }
        if lastSourceAt != 0 { w.int(4, lastSourceAt) }
        if lastVersion != 0 { w.uint(5, lastVersion) }
        for type in taken.keys.sorted() {
            for (night, count) in taken[type]!.sorted(by: { $0.key < $1.key }) {
                w.message(6) { e in
                    e.string(1, type)
                    e.uint(2, UInt64(night))
                    e.int(3, count)
                }
            }
        }
    }
}
