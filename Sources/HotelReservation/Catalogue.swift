/// One kind of room in a hotel: how many exist (the capacity of every night) and the price of one night.
public struct RoomType: Hashable, Sendable {
    public var id: String
    public var capacity: UInt32
    /// Price of one room for one night, in cents.
    public var nightlyPrice: UInt64
}

/// A hotel of the catalogue.
public struct Hotel: Hashable, Sendable {
    public var id: String
    public var name: String
    public var city: String
    public var roomTypes: [RoomType]

    public func roomType(_ id: String) -> RoomType? { roomTypes.first { $0.id == id } }
}

/// The built-in, deterministic catalogue both inventory and search start from (proto-spec/hotel.md,
/// "Catalogue"): 4 cities × 3 hotels, each with the room types `standard`, `deluxe` and `suite`. Capacity is the
/// same for every night. Changing it changes the meaning of existing logs: treat it as part of the data format.
public enum Catalogue {
    public static let cities = ["lisbon", "porto", "berlin", "kyoto"]

    /// Every hotel, ordered by id.
    public static let hotels: [Hotel] = {
        var hotels: [Hotel] = []
        let names = [
            "lisbon": ["Alfama House", "Baixa Grand", "Belem Riverside"],
            "porto": ["Ribeira Inn", "Douro Palace", "Foz Beach"],
            "berlin": ["Mitte Loft", "Spree Tower", "Kreuzberg Yard"],
            "kyoto": ["Gion Ryokan", "Arashiyama Lodge", "Higashiyama Hall"],
        ]
        for (c, city) in cities.enumerated() {
            for h in 0..<3 {
                let n = UInt32(c * 3 + h)  // 0…11
                hotels.append(
                    Hotel(
                        id: "\(city)-\(h + 1)", name: names[city]![h], city: city,
                        roomTypes: [
                            RoomType(id: "standard", capacity: 8 + n % 5, nightlyPrice: 8_000 + UInt64(n) * 500),
                            RoomType(id: "deluxe", capacity: 3 + n % 3, nightlyPrice: 15_000 + UInt64(n) * 1_000),
                            RoomType(id: "suite", capacity: 1 + n % 2, nightlyPrice: 40_000 + UInt64(n) * 2_500),
                        ]))
            }
        }
        return hotels.sorted { $0.id < $1.id }
    }()

    private static let byId: [String: Hotel] = Dictionary(uniqueKeysWithValues: hotels.map { ($0.id, $0) })

    public static func hotel(_ id: String) -> Hotel? { byId[id] }

    /// The hotels of `city`, ordered by id.
    public static func hotels(in city: String) -> [Hotel] { hotels.filter { $0.city == city } }

    /// The price of `stay` in `hotelId` (nights × rooms × nightly price), or nil if the hotel or room type is unknown.
    public static func price(of stay: Stay, in hotelId: String) -> UInt64? {
        guard let type = hotel(hotelId)?.roomType(stay.roomType) else { return nil }
        return type.nightlyPrice * UInt64(stay.nights.count) * UInt64(stay.rooms)
    }
}
