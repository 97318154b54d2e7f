import HotelReservation
import MeshSaga
import Testing

/// The choreography step by step, every outcome and compensation, with deliveries in order.
@Suite("Hotel saga: paths and compensations")
struct SagaPathTests {
    @Test func happyPathHoldsAuthorizesBooksConfirmsAndCaptures() throws {
        let c = HotelCluster()
        let created = try c.call(c.reservations, ReservationsAPI.create, Fixture.create("k1"))
        #expect(created.status == .pending)
        #expect(created.id == ReservationID.derive(idempotencyKey: "k1"))
        #expect(created.amount == 2 * 8_000)
        try c.deliverAll()
        let r = try #require(c.reservation(created.id))
        #expect(r.status == .confirmed)
        #expect(r.saga.stage == .confirmed)
        #expect(c.eventTypes(c.inventory, of: r.id) == [.roomsHeld, .holdBooked])
        #expect(c.eventTypes(c.payments, of: r.id) == [.paymentRequested, .paymentAuthorized, .paymentCaptured])
        #expect(
            r.saga.path.map { HotelEventType(rawValue: $0.type)! } == [
                .reservationRequested, .roomsHeld, .paymentAuthorized, .holdBooked, .reservationConfirmed,
                .paymentCaptured,
            ])
        #expect(c.account(r.id)?.netCaptured == r.amount)
        #expect(c.ledger(Fixture.hotel).use("standard", Fixture.day) == NightUse(held: 0, booked: 1))
        #expect(c.violations() == [])
        let mismatches = try c.replayMismatches()
        #expect(mismatches == [])
    }

    @Test func soldOutDatesAreRejectedAndNothingIsCharged() throws {
        let c = HotelCluster()
        let first = try c.book(Fixture.create("a", Fixture.stay("suite")))  // lisbon-1 has one suite
        let second = try c.book(Fixture.create("b", Fixture.stay("suite", from: Fixture.day + 1)))
        #expect(first.status == .confirmed)
        #expect(second.status == .rejected)
        #expect(second.code == "roomsUnavailable")
        #expect(second.reason.contains("0 of 1 suite"))
        #expect(c.eventTypes(c.inventory, of: second.id) == [.roomsUnavailable])
        #expect(c.eventTypes(c.payments, of: second.id) == [.paymentRequested, .paymentAbandoned])
        #expect(c.account(second.id)?.capturedTotal == 0)
        // A stay that does not overlap the booked nights still gets the suite.
        let third = try c.book(Fixture.create("c", Fixture.stay("suite", from: Fixture.day + 2)))
        #expect(third.status == .confirmed)
        #expect(c.violations() == [])
    }

    @Test func declinedCardReleasesTheHoldAndRejectsWithTheReason() throws {
        let c = HotelCluster()
        let r = try c.book(Fixture.create("k", card: SimulatedPaymentProvider.decliningCard))
        #expect(r.status == .rejected)
        #expect(r.code == "paymentDeclined")
        #expect(r.reason == "cardDeclined: the card was declined")
        #expect(c.eventTypes(c.inventory, of: r.id) == [.roomsHeld, .holdReleased])
        #expect(c.holds(r).map(\.status) == [.released])
        #expect(c.holds(r).first?.reason == "paymentDeclined")
        #expect(c.ledger(Fixture.hotel).use("standard", Fixture.day).taken == 0)
        #expect(c.account(r.id)?.charges[0]?.status == .declined)
        #expect(c.violations() == [])
    }

    @Test func amountOverTheProviderLimitIsDeclined() throws {
        let c = HotelCluster()
        // deluxe 15,000 × 30 nights × 2 rooms = 900,000 > 500,000
        let r = try c.book(Fixture.create("k", Fixture.stay("deluxe", nights: 30, rooms: 2)))
        #expect(r.status == .rejected)
        #expect(r.reason.hasPrefix("amountOverLimit"))
        #expect(c.violations() == [])
    }

    @Test func invalidCardTokenIsDeclined() throws {
        let c = HotelCluster()
        let r = try c.book(Fixture.create("k", card: "4111111111111111"))
        #expect(r.reason.hasPrefix("invalidCard"))
    }

    @Test func providerTimeoutsAreRetriedByDueThenDecline() throws {
        let c = HotelCluster()
        let r0 = try c.book(Fixture.create("k", card: SimulatedPaymentProvider.timingOutCard))
        #expect(r0.status == .pending)
        #expect(c.account(r0.id)?.charges[0]?.tries == 1)
        #expect(try c.tick() == 0)  // the retry is not due yet
        c.advance(millis: 500)
        #expect(try c.tick() == 1)
        try c.deliverAll()
        #expect(c.account(r0.id)?.charges[0]?.tries == 2)
        c.advance(millis: 999)
        #expect(try c.tick() == 0)
        c.advance(millis: 1)
        #expect(try c.tick() == 1)
        try c.deliverAll()
        let r = try #require(c.reservation(r0.id))
        #expect(r.status == .rejected)
        #expect(r.reason.hasPrefix("providerTimeout"))
        #expect(
            c.eventTypes(c.payments, of: r.id) == [
                .paymentRequested, .paymentTimedOut, .paymentTimedOut, .paymentDeclined,
            ])
        #expect(c.eventTypes(c.inventory, of: r.id) == [.roomsHeld, .holdReleased])
        #expect(c.violations() == [])
    }

    @Test func holdExpiringDuringProviderRetriesRejectsAndAbandonsTheCharge() throws {
        let c = HotelCluster()
        let r0 = try c.book(Fixture.create("k", card: SimulatedPaymentProvider.timingOutCard, ttlMillis: 300))
        c.advance(millis: 300)
        #expect(try c.tick() == 1)  // the hold expires; the payment retry is not due yet
        try c.deliverAll()
        c.advance(millis: 5_000)
        #expect(try c.tick() == 0)  // abandoned: no retry any more
        let r = try #require(c.reservation(r0.id))
        #expect(r.status == .rejected)
        #expect(r.code == "holdExpired")
        #expect(c.account(r.id)?.charges[0]?.status == .abandoned)
        #expect(c.violations() == [])
    }

    @Test func holdThatExpiresBeforeThePaymentArrivesIsNotBookedAndTheAuthorizationIsVoided() throws {
        let c = HotelCluster()
        let created = try c.call(c.reservations, ReservationsAPI.create, Fixture.create("k", ttlMillis: 1_000))
        // Deliver until payments has authorized, but keep PaymentAuthorized away from inventory.
        while let i = c.inFlight.firstIndex(where: {
            !($0.service == "inventory" && $0.event.type == HotelEventType.paymentAuthorized.rawValue)
        }) {
            try c.deliver(at: i)
        }
        #expect(c.account(created.id)?.charges[0]?.status == .authorized)
        #expect(c.reservation(created.id)?.saga.stage == .bookingRooms)
        c.advance(millis: 1_000)
        #expect(try c.tick() == 1)  // HoldExpired
        try c.deliverAll()  // now PaymentAuthorized reaches inventory: the hold is gone, nothing is booked
        let r = try #require(c.reservation(created.id))
        #expect(r.status == .rejected)
        #expect(r.code == "holdExpired")
        #expect(c.eventTypes(c.inventory, of: r.id) == [.roomsHeld, .holdExpired])
        #expect(c.eventTypes(c.payments, of: r.id) == [.paymentRequested, .paymentAuthorized, .paymentVoided])
        #expect(c.violations() == [])
    }

    @Test func holdBookedBeforeItsExpiryDoesNotExpire() throws {
        let c = HotelCluster()
        let r = try c.book(Fixture.create("k", ttlMillis: 1_000))
        c.advance(millis: 60_000)
        #expect(try c.tick() == 0)
        #expect(c.reservation(r.id)?.status == .confirmed)
        #expect(c.holds(r).map(\.status) == [.booked])
    }

    @Test func cancellingAConfirmedReservationReleasesTheRoomsAndRefunds() throws {
        let c = HotelCluster()
        let r = try c.book(Fixture.create("k"))
        let cancelled = try c.call(c.reservations, ReservationsAPI.cancel, KeyRequest(r.id, reason: "plans changed"))
        #expect(cancelled.status == .cancelled)
        try c.deliverAll()
        let after = try #require(c.reservation(r.id))
        #expect(after.status == .cancelled)
        #expect(after.reason == "plans changed")
        #expect(c.eventTypes(c.inventory, of: r.id) == [.roomsHeld, .holdBooked, .holdReleased])
        #expect(c.holds(r).first?.reason == "cancelled")
        #expect(c.account(r.id)?.refundedTotal == r.amount)
        #expect(c.account(r.id)?.netCaptured == 0)
        #expect(c.ledger(Fixture.hotel).use("standard", Fixture.day).taken == 0)
        // Cancelling again changes nothing.
        let events = c.reservations.events.count
        #expect(try c.call(c.reservations, ReservationsAPI.cancel, KeyRequest(r.id)).status == .cancelled)
        #expect(c.reservations.events.count == events)
        #expect(c.violations() == [])
    }

    @Test func cancellationIsRefusedUntilTheSagaEndsAndForRejectedReservations() throws {
        let c = HotelCluster()
        let pending = try c.call(c.reservations, ReservationsAPI.create, Fixture.create("p"))
        #expect(
            c.rejection(c.reservations, ReservationsAPI.cancel, KeyRequest(pending.id)) == HotelRejection.sagaInProgress
        )
        let rejected = try c.book(Fixture.create("d", card: SimulatedPaymentProvider.decliningCard))
        #expect(
            c.rejection(c.reservations, ReservationsAPI.cancel, KeyRequest(rejected.id)) == HotelRejection.notConfirmed)
        #expect(c.rejection(c.reservations, ReservationsAPI.cancel, KeyRequest("r-nope")) == HotelRejection.notFound)
    }

    @Test func cancellationOvertakingTheConfirmationVoidsInsteadOfCapturing() throws {
        let c = HotelCluster()
        let created = try c.call(c.reservations, ReservationsAPI.create, Fixture.create("k"))
        // Run the saga but hold back ReservationConfirmed on its way to payments.
        func isConfirmationToPayments(_ d: HotelCluster.Delivery) -> Bool {
            d.service == "payments" && d.event.type == HotelEventType.reservationConfirmed.rawValue
        }
        while let i = c.inFlight.firstIndex(where: { !isConfirmationToPayments($0) }) { try c.deliver(at: i) }
        _ = try c.call(c.reservations, ReservationsAPI.cancel, KeyRequest(created.id))
        while let i = c.inFlight.firstIndex(where: { !isConfirmationToPayments($0) }) { try c.deliver(at: i) }
        try c.deliverAll()
        #expect(c.eventTypes(c.payments, of: created.id) == [.paymentRequested, .paymentAuthorized, .paymentVoided])
        #expect(c.reservation(created.id)?.status == .cancelled)
        #expect(c.violations() == [])
    }
}
