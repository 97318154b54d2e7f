import MeshRPC
import MeshSaga

/// The inventory service's RPC methods (proto-spec/hotel.md, "inventory"). Holds are taken, booked and released
/// by the saga's events, not by calls: these methods read.
public enum InventoryAPI {
    public static let getHotel = MethodDescriptor<HotelQuery, HotelAvailability>.query(
        service: InventoryDomain.serviceName, method: "GetHotel")
    public static let holds = MethodDescriptor<HoldQuery, MessageList<Hold>>.query(
        service: InventoryDomain.serviceName, method: "Holds")
    public static let heads = MethodDescriptor<EmptyRequest, MessageList<HotelHead>>.query(
        service: InventoryDomain.serviceName, method: "Heads")

    /// The longest range `GetHotel` reports.
    public static let maximumQueryNights: UInt32 = 366

    /// A hotel's room types with their capacity, price and rooms taken per night of `checkIn..<checkOut`.
    public static func hotel(_ q: HotelQuery, state: InventoryState, now: Int64) throws(DomainRejection)
        -> HotelAvailability
    {
        guard let hotel = Catalogue.hotel(q.hotelId) else {
            throw DomainRejection(HotelRejection.unknownHotel, "no hotel \"\(q.hotelId)\" in the catalogue")
        }
        guard q.checkIn <= q.checkOut, q.checkOut - q.checkIn <= maximumQueryNights else {
            throw DomainRejection(HotelRejection.invalidStay, "a query covers 0…\(maximumQueryNights) nights")
        }
        let ledger = state.ledger(q.hotelId)
        let types = hotel.roomTypes.map { t in
            let stay = Stay(roomType: t.id, checkIn: q.checkIn, checkOut: q.checkOut)
            let nights = stay.nights.compactMap { n -> RoomTypeAvailability.Night? in
                let u = ledger.use(t.id, n)
                return u.taken == 0 ? nil : .init(night: n, use: u)
            }
            return RoomTypeAvailability(
                roomType: t.id, capacity: t.capacity, nightlyPrice: t.nightlyPrice,
                free: ledger.free(for: stay, capacity: t.capacity), nights: nights)
        }
        return HotelAvailability(
            hotelId: hotel.id, name: hotel.name, city: hotel.city, version: ledger.version,
            lastEventAt: ledger.lastEventAt, roomTypes: types)
    }

    /// The holds of one reservation, in attempt order.
    public static func holds(_ q: HoldQuery, state: InventoryState, now: Int64) throws(DomainRejection) -> MessageList<
        Hold
    > {
        MessageList(state.holds(of: q.reservationId))
    }

    /// This partition's hotel heads (hotels with at least one event), ordered by hotel id.
    public static func heads(_ q: EmptyRequest, state: InventoryState, now: Int64) throws(DomainRejection)
        -> MessageList<HotelHead>
    {
        MessageList(
            state.hotels.values.sorted { $0.hotelId < $1.hotelId }.map {
                HotelHead(hotelId: $0.hotelId, version: $0.version, at: $0.lastEventAt)
            })
    }
}

extension InventoryDomain {
    public static let domainMethods: [DomainMethod<Self>] = [
        .query(InventoryAPI.getHotel, route: { .key($0.hotelId) }, answer: InventoryAPI.hotel),
        .query(InventoryAPI.holds, route: { .key($0.hotelId) }, answer: InventoryAPI.holds),
        .queryEveryPartition(InventoryAPI.heads, answer: InventoryAPI.heads),
    ]
}
