import MeshRPC
import MeshSaga

/// The search service's RPC methods (proto-spec/hotel.md, "search"); both are routed by city.
public enum SearchAPI {
    public static let find = MethodDescriptor<AvailabilitySearch, SearchResults>.query(
        service: SearchDomain.serviceName, method: "Find")
    public static let lag = MethodDescriptor<SearchLagRequest, SearchLag>.query(
        service: SearchDomain.serviceName, method: "Lag")

    /// Every room type of every hotel in the city with at least `rooms` rooms free on each night of the range.
    public static func find(_ q: AvailabilitySearch, state: SearchState, now: Int64) throws(DomainRejection)
        -> SearchResults
    {
        let rooms = max(q.rooms, 1)
        guard q.checkIn < q.checkOut, q.checkOut - q.checkIn <= Stay.maximumNights else {
            throw DomainRejection(HotelRejection.invalidStay, "a search covers 1…\(Stay.maximumNights) nights")
        }
        var offers: [HotelOffer] = []
        for hotel in Catalogue.hotels(in: q.city) {
            let view = state.views[hotel.id] ?? HotelView(hotelId: hotel.id)
            for type in hotel.roomTypes where q.roomType.isEmpty || q.roomType == type.id {
                let free = view.free(type.id, q.checkIn..<q.checkOut, capacity: type.capacity)
                guard free >= rooms else { continue }
                offers.append(
                    HotelOffer(
                        hotelId: hotel.id, name: hotel.name, roomType: type.id, free: free,
                        totalPrice: type.nightlyPrice * UInt64(q.checkOut - q.checkIn) * UInt64(rooms)))
            }
        }
        return SearchResults(
            offers: offers, appliedEvents: state.appliedEvents, lastAppliedAt: state.lastAppliedAt,
            lastDelayNanos: state.lastDelayNanos)
    }

    /// How far this read model is behind inventory's `heads` for the city's hotels.
    public static func lag(_ q: SearchLagRequest, state: SearchState, now: Int64) throws(DomainRejection) -> SearchLag {
        let hotels = Set(Catalogue.hotels(in: q.city).map(\.id))
        var events: UInt64 = 0
        var nanos: Int64 = 0
        for head in q.heads where hotels.contains(head.hotelId) {
            let view = state.views[head.hotelId] ?? HotelView(hotelId: head.hotelId)
            let applied = UInt64(view.above.count) + view.highWater
            guard head.version > view.highWater else { continue }
            events += head.version > applied ? head.version - applied : 0
            nanos = max(nanos, head.at - view.lastSourceAt)
        }
        let applied = hotels.sorted().compactMap { id in
            state.views[id].map { HotelHead(hotelId: id, version: $0.highWater, at: $0.lastSourceAt) }
        }
        return SearchLag(
            lagEvents: events, lagNanos: max(0, nanos), appliedEvents: state.appliedEvents, applied: applied)
    }
}

extension SearchDomain {
    public static let domainMethods: [DomainMethod<Self>] = [
        .query(SearchAPI.find, route: { .key($0.city) }, answer: SearchAPI.find),
        .query(SearchAPI.lag, route: { .key($0.city) }, answer: SearchAPI.lag),
    ]
}
