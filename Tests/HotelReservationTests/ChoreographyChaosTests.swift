import HotelReservation
import MeshCore
import MeshSaga
import Testing

/// The whole choreography under a seeded adversary: deliveries in random order, some handed over twice, clients
/// retrying creates, cancelling and upgrading, time jumping so holds expire mid-saga. After the faults stop and
/// everything is delivered, the five invariants must hold and every log must fold back into its state.
@Suite("Hotel saga: random interleavings and duplicate deliveries")
struct ChoreographyChaosTests {
    static let seeds: [UInt64] = Array(1...24)

    @Test(arguments: seeds)
    func invariantsHoldUnderRandomInterleavings(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let c = HotelCluster(partitions: 2)
        let cards = [
            SimulatedPaymentProvider.goodCard, SimulatedPaymentProvider.goodCard, SimulatedPaymentProvider.goodCard,
            SimulatedPaymentProvider.decliningCard, SimulatedPaymentProvider.timingOutCard,
        ]
        let hotels = ["lisbon-1", "lisbon-2", "porto-1"]  // few hotels and nights: contention and sold-out dates
        var requests: [String: CreateReservationRequest] = [:]
        var keys: [String] = []
        for _ in 0..<1_500 {
            let roll = Int.random(in: 0..<100, using: &rng)
            switch roll {
            case 0..<10 where keys.count < 120:
                let key = "key-\(keys.count)"
                let type = ["standard", "deluxe", "suite"].randomElement(using: &rng)!
                let stay = Fixture.stay(
                    type, nights: UInt32.random(in: 1...3, using: &rng),
                    from: Fixture.day + UInt32.random(in: 0...3, using: &rng),
                    rooms: type == "standard" ? UInt32.random(in: 1...3, using: &rng) : 1)
                let request = Fixture.create(
                    key, stay, card: cards.randomElement(using: &rng)!, hotel: hotels.randomElement(using: &rng)!,
                    guest: "guest-\(keys.count % 7)", ttlMillis: UInt64.random(in: 50...3_000, using: &rng))
                requests[key] = request
                keys.append(key)
                _ = try c.call(c.reservations, ReservationsAPI.create, request)
            case 10..<13 where !keys.isEmpty:  // a client retry: the same key and request
                let key = keys.randomElement(using: &rng)!
                let again = try c.call(c.reservations, ReservationsAPI.create, requests[key]!)
                #expect(again.id == ReservationID.derive(idempotencyKey: key))
            case 13..<16 where !keys.isEmpty:
                let id = ReservationID.derive(idempotencyKey: keys.randomElement(using: &rng)!)
                _ = c.rejection(c.reservations, ReservationsAPI.cancel, KeyRequest(id))
            case 16..<20 where !keys.isEmpty:
                let id = ReservationID.derive(idempotencyKey: keys.randomElement(using: &rng)!)
                guard let r = c.reservation(id) else { break }
                let stay = Fixture.stay(
                    ["deluxe", "suite"].randomElement(using: &rng)!, nights: r.stay.nights.count == 1 ? 2 : 3,
                    from: r.stay.checkIn)
                _ = c.rejection(
                    c.reservations, ReservationsAPI.upgrade,
                    UpgradeReservationRequest(
                        reservationId: id, stay: stay, cardToken: cards.randomElement(using: &rng)!,
                        holdTtlMillis: UInt64.random(in: 50...3_000, using: &rng)))
            case 20..<26:
                c.advance(millis: Int64.random(in: 1...400, using: &rng))
                try c.tick()
            default:
                guard !c.inFlight.isEmpty else { break }
                let i = Int.random(in: 0..<c.inFlight.count, using: &rng)
                try c.deliver(at: i, keep: Int.random(in: 0..<100, using: &rng) < 15)  // 15 % are delivered again later
            }
            #expect(c.overbookings() == [])
        }
        // Faults stop: deliver everything (still in random order) and let time run out every hold and retry.
        var rounds = 0
        repeat {
            while !c.inFlight.isEmpty { try c.deliver(at: Int.random(in: 0..<c.inFlight.count, using: &rng)) }
            c.advance(millis: 5_000)
            rounds += 1
        } while try c.tick() > 0 || !c.inFlight.isEmpty
        #expect(rounds < 10)
        // 4. one reservation per idempotency key; a different request under a used key is refused.
        #expect(c.allReservations.count == keys.count)
        if let key = keys.first {
            var other = requests[key]!
            other.stay.rooms += 1
            #expect(c.rejection(c.reservations, ReservationsAPI.create, other) == HotelRejection.idempotencyConflict)
        }
        #expect(c.violations() == [])
        let mismatches = try c.replayMismatches()
        #expect(mismatches == [])
        let statuses = Set(c.allReservations.map(\.status))
        #expect(statuses.contains(.confirmed) && statuses.contains(.rejected))
    }
}

extension HotelCluster {
    /// Invariant 1 at any moment (not only at quiescence).
    func overbookings() -> [String] {
        inventory.partitions.flatMap { p in
            p.state.hotels.flatMap { hotelId, ledger in
                ledger.use.flatMap { type, nights in
                    nights.compactMap { night, use in
                        use.taken > Catalogue.hotel(hotelId)!.roomType(type)!.capacity
                            ? "\(hotelId) \(type) \(night)" : nil
                    }
                }
            }
        }
    }
}
