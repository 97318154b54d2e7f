import HotelReservation

/// Requests used across the tests. Day 20_000 is 2024-10-04.
enum Fixture {
    static let day: UInt32 = 20_000
    /// lisbon-1: standard ×8, deluxe ×3, suite ×1 (catalogue index 0).
    static let hotel = "lisbon-1"

    static func stay(_ type: String = "standard", nights: UInt32 = 2, from: UInt32 = day, rooms: UInt32 = 1) -> Stay {
        Stay(roomType: type, checkIn: from, checkOut: from + nights, rooms: rooms)
    }

    static func create(
        _ key: String, _ stay: Stay = stay(), card: String = SimulatedPaymentProvider.goodCard, hotel: String = hotel,
        guest: String = "guest-1", ttlMillis: UInt64 = 0
    ) -> CreateReservationRequest {
        CreateReservationRequest(
            idempotencyKey: key, guestId: guest, hotelId: hotel, stay: stay, cardToken: card, holdTtlMillis: ttlMillis)
    }
}

extension HotelCluster {
    /// Creates a reservation and runs its saga to the end (deliveries first in first out).
    @discardableResult
    func book(_ request: CreateReservationRequest) throws -> Reservation {
        let r = try call(reservations, ReservationsAPI.create, request)
        try deliverAll()
        return reservation(r.id)!
    }
}
