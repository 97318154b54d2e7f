import HotelReservation
import MeshSaga
import MeshWire
import Testing

/// Idempotent create, the read side, the saga view and the generic hosted-method surface.
@Suite("Hotel services: idempotency, search, saga view, hosted methods")
struct ServiceSurfaceTests {
    @Test func theSameIdempotencyKeyReturnsTheSameReservationAndADifferentRequestIsRefused() throws {
        let c = HotelCluster()
        let first = try c.call(c.reservations, ReservationsAPI.create, Fixture.create("k"))
        let events = c.reservations.events.count
        let again = try c.call(c.reservations, ReservationsAPI.create, Fixture.create("k"))
        #expect(again == first)
        #expect(c.reservations.events.count == events)
        #expect(
            c.rejection(c.reservations, ReservationsAPI.create, Fixture.create("k", Fixture.stay(nights: 3)))
                == HotelRejection.idempotencyConflict)
        #expect(
            c.rejection(c.reservations, ReservationsAPI.create, Fixture.create("k", card: "tok_other"))
                == HotelRejection.idempotencyConflict)
        try c.deliverAll()
        // After the saga ended, a retry still returns the (now confirmed) reservation.
        #expect(try c.call(c.reservations, ReservationsAPI.create, Fixture.create("k")).status == .confirmed)
        #expect(c.allReservations.count == 1)
    }

    @Test func createValidatesTheRequest() {
        let c = HotelCluster()
        #expect(
            c.rejection(c.reservations, ReservationsAPI.create, Fixture.create("")) == HotelRejection.invalidRequest)
        #expect(
            c.rejection(c.reservations, ReservationsAPI.create, Fixture.create("k", hotel: "atlantis-1"))
                == HotelRejection.unknownHotel)
        #expect(
            c.rejection(c.reservations, ReservationsAPI.create, Fixture.create("k", Fixture.stay(nights: 31)))
                == HotelRejection.invalidStay)
        #expect(
            c.rejection(c.reservations, ReservationsAPI.create, Fixture.create("k", Fixture.stay(rooms: 0)))
                == HotelRejection.invalidStay)
        #expect(
            c.rejection(c.reservations, ReservationsAPI.create, Fixture.create("k", ttlMillis: 600_001))
                == HotelRejection.invalidRequest)
        #expect(c.reservations.events.isEmpty)
    }

    @Test func sagaViewShowsStageWhyDeadlineAndTimedPath() throws {
        let c = HotelCluster()
        let r = try c.call(c.reservations, ReservationsAPI.create, Fixture.create("k", ttlMillis: 2_000))
        let start = c.now
        #expect(try c.call(c.reservations, ReservationsAPI.saga, KeyRequest(r.id)).stage == .holdingRooms)
        c.advance(millis: 5)
        while let i = c.inFlight.firstIndex(where: { $0.service == "inventory" }) { try c.deliver(at: i) }
        while let i = c.inFlight.firstIndex(where: { $0.service == "reservations" }) { try c.deliver(at: i) }
        let held = try c.call(c.reservations, ReservationsAPI.saga, KeyRequest(r.id))
        #expect(held.stage == .authorizingPayment)
        #expect(held.nextDeadline == start + 5_000_000 + 2_000_000_000)  // inventory held it 5 ms in
        #expect(held.why.contains("waiting for payments"))
        #expect(held.lastEventType == HotelEventType.roomsHeld.rawValue)
        #expect(held.path.map(\.at) == [start, start + 5_000_000])
        let open = try c.callEveryPartition(c.reservations, ReservationsAPI.listSagas, SagaListRequest())
        #expect(open.flatMap(\.items).map(\.reservationId) == [r.id])
        try c.deliverAll()
        let done = try c.call(c.reservations, ReservationsAPI.saga, KeyRequest(r.id))
        #expect(done.stage == .confirmed && done.finishedAt == c.now && done.nextDeadline == 0)
        #expect(
            try c.callEveryPartition(c.reservations, ReservationsAPI.listSagas, SagaListRequest()).flatMap(\.items)
                .isEmpty)
    }

    @Test func listByGuestGathersEveryPartition() throws {
        let c = HotelCluster()
        for k in ["a", "b", "c", "d"] { try c.book(Fixture.create(k, guest: k == "d" ? "other" : "guest-1")) }
        let lists = try c.callEveryPartition(c.reservations, ReservationsAPI.listByGuest, KeyRequest("guest-1"))
        #expect(Set(lists.flatMap(\.items).map(\.idempotencyKey)) == ["a", "b", "c"])
    }

    @Test func searchFollowsInventoryAndReportsItsLag() throws {
        let c = HotelCluster()
        let query = AvailabilitySearch(
            city: "lisbon", checkIn: Fixture.day, checkOut: Fixture.day + 2, roomType: "suite")
        #expect(
            try c.call(c.search, SearchAPI.find, query).offers.map(\.hotelId) == ["lisbon-1", "lisbon-2", "lisbon-3"])
        _ = try c.call(c.reservations, ReservationsAPI.create, Fixture.create("k", Fixture.stay("suite")))
        while let i = c.inFlight.firstIndex(where: { $0.service != "search" }) { try c.deliver(at: i) }
        // Inventory booked lisbon-1's only suite; search has not seen it yet and says how far behind it is.
        let heads = try c.callEveryPartition(c.inventory, InventoryAPI.heads, EmptyRequest()).flatMap(\.items)
        #expect(heads.map(\.hotelId) == ["lisbon-1"] && heads.first?.version == 2)
        let behind = try c.call(c.search, SearchAPI.lag, SearchLagRequest(city: "lisbon", heads: heads))
        #expect(behind.lagEvents == 2)
        #expect(behind.lagNanos == heads[0].at)
        try c.deliverAll()
        #expect(try c.call(c.search, SearchAPI.find, query).offers.map(\.hotelId) == ["lisbon-2", "lisbon-3"])
        let caughtUp = try c.call(c.search, SearchAPI.lag, SearchLagRequest(city: "lisbon", heads: heads))
        #expect(caughtUp.lagEvents == 0 && caughtUp.lagNanos == 0 && caughtUp.appliedEvents == 2)
        #expect(try c.call(c.search, SearchAPI.lag, SearchLagRequest(city: "porto", heads: heads)).lagEvents == 0)
        let offer = try c.call(
            c.search, SearchAPI.find,
            AvailabilitySearch(city: "lisbon", checkIn: Fixture.day, checkOut: Fixture.day + 2, rooms: 2))
        #expect(
            offer.offers.first
                == HotelOffer(
                    hotelId: "lisbon-1", name: "Alfama House", roomType: "standard", free: 8, totalPrice: 32_000))
    }

    @Test func inventoryReportsCapacityAndUsePerNight() throws {
        let c = HotelCluster()
        try c.book(Fixture.create("k", Fixture.stay("deluxe", rooms: 2)))
        let h = try c.call(
            c.inventory, InventoryAPI.getHotel,
            HotelQuery(hotelId: "lisbon-1", checkIn: Fixture.day, checkOut: Fixture.day + 3))
        let deluxe = try #require(h.roomTypes.first { $0.roomType == "deluxe" })
        #expect(deluxe.capacity == 3 && deluxe.free == 1)
        #expect(deluxe.nights.map(\.night) == [Fixture.day, Fixture.day + 1])
        #expect(deluxe.nights.allSatisfy { $0.use == NightUse(held: 0, booked: 2) })
        #expect(try HotelAvailability(decoding: h.encoded()) == h)
        let r = ReservationID.derive(idempotencyKey: "k")
        #expect(
            try c.call(c.inventory, InventoryAPI.holds, HoldQuery(hotelId: "lisbon-1", reservationId: r)).items.map(
                \.status) == [.booked])
        #expect(try c.call(c.payments, PaymentsAPI.get, KeyRequest(r)).netCaptured == 30_000 * 2)
    }

    @Test func hostedMethodsReportMalformedRequestsAndDomainRejections() throws {
        let create = try #require(ReservationsDomain.domainMethods.first { $0.method == "Create" })
        #expect(create.kind == .command)
        let state = ReservationsDomain.initialState()
        #expect(
            throws: DomainMethod<ReservationsDomain>.Failure.malformed(
                WireError(.truncatedPayload, "varint runs past the end of the payload"))
        ) {
            try create.run([0x08][...], state, 0)
        }
        do {
            _ = try create.run(Fixture.create("k", hotel: "nowhere").encoded()[...], state, 0)
            Issue.record("accepted")
        } catch {
            guard case .rejected(let r) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(r.code == HotelRejection.unknownHotel)
        }
        let names =
            ReservationsDomain.domainMethods.map(\.method) + InventoryDomain.domainMethods.map(\.method)
            + PaymentsDomain.domainMethods.map(\.method) + SearchDomain.domainMethods.map(\.method)
        #expect(
            names == [
                "Create", "Get", "Cancel", "Upgrade", "ListByGuest", "Saga", "ListSagas", "GetHotel", "Holds", "Heads",
                "Get", "Find", "Lag",
            ])
        #expect(try create.route(Fixture.create("k").encoded()[...]) == .key(ReservationID.derive(idempotencyKey: "k")))
    }

    @Test func eventsRouteToTheirOwnerInEveryService() {
        var e = PaymentEvent(reservationId: "r-1", hotelId: "porto-2")
        e.amount = 1
        let event = e.event(.paymentAuthorized)
        #expect(ReservationsDomain.partitionKey(of: event) == "r-1")
        #expect(InventoryDomain.partitionKey(of: event) == "porto-2")
        #expect(PaymentsDomain.partitionKey(of: event) == "r-1")
        #expect(
            SearchDomain.partitionKey(
                of: HoldEvent(reservationId: "r-1", hotelId: "porto-2", stay: Fixture.stay()).event(.roomsHeld))
                == "porto")
        #expect(throws: DomainRejection.self) {
            try InventoryDomain.react(
                to: DomainEvent(type: 0x0999, streamKey: "x", payload: []), state: .init(), now: 0)
        }
        #expect(Catalogue.hotels.count == 12 && Catalogue.hotel("kyoto-3")?.roomType("suite")?.capacity == 2)
    }
}
