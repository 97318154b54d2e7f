import HotelReservation
import MeshSaga
import Testing

/// Upgrades: hold the new rooms, authorize the difference, swap, release the old; on any failure the original
/// booking stays confirmed and paid.
@Suite("Hotel saga: upgrades")
struct UpgradeTests {
    let deluxe = Fixture.stay("deluxe")

    func confirmed(_ c: HotelCluster, _ key: String = "k", _ stay: Stay = Fixture.stay()) throws -> Reservation {
        let r = try c.book(Fixture.create(key, stay))
        #expect(r.status == .confirmed)
        return r
    }

    @Test func successfulUpgradeSwapsTheBookingAndCapturesTheDifference() throws {
        let c = HotelCluster()
        let r = try confirmed(c)
        let pending = try c.call(
            c.reservations, ReservationsAPI.upgrade, UpgradeReservationRequest(reservationId: r.id, stay: deluxe))
        #expect(pending.upgrade?.state == .pending)
        #expect(pending.upgrade?.attempt == 1)
        #expect(pending.upgrade?.difference == 2 * 15_000 - 2 * 8_000)
        #expect(pending.saga.stage == .upgradeHoldingRooms)
        try c.deliverAll()
        let u = try #require(c.reservation(r.id))
        #expect(u.status == .confirmed)
        #expect(u.stay == deluxe)
        #expect(u.amount == 2 * 15_000)
        #expect(u.attempt == 1)
        #expect(u.upgrade?.state == .succeeded)
        #expect(u.saga.stage == .confirmed)
        #expect(
            c.eventTypes(c.inventory, of: r.id) == [.roomsHeld, .holdBooked, .roomsHeld, .holdBooked, .holdReleased])
        #expect(c.holds(u).map(\.status) == [.released, .booked])
        #expect(c.holds(u).first?.reason == "upgraded")
        #expect(c.account(r.id)?.charges[1]?.captured == u.amount - r.amount)
        #expect(c.account(r.id)?.netCaptured == u.amount)
        #expect(c.ledger(Fixture.hotel).use("standard", Fixture.day).taken == 0)
        #expect(c.ledger(Fixture.hotel).use("deluxe", Fixture.day).booked == 1)
        #expect(c.violations() == [])
        let mismatches = try c.replayMismatches()
        #expect(mismatches == [])
    }

    @Test func upgradeToSoldOutRoomsFailsAndTheOriginalStays() throws {
        let c = HotelCluster()
        _ = try c.book(Fixture.create("other", Fixture.stay("suite")))
        let r = try confirmed(c)
        _ = try c.call(
            c.reservations, ReservationsAPI.upgrade,
            UpgradeReservationRequest(reservationId: r.id, stay: Fixture.stay("suite")))
        try c.deliverAll()
        let u = try #require(c.reservation(r.id))
        #expect(u.status == .confirmed)
        #expect(u.stay == r.stay)
        #expect(u.amount == r.amount)
        #expect(u.upgrade?.state == .failed)
        #expect(u.upgrade?.code == "roomsUnavailable")
        #expect(u.saga.why.contains("upgrade 1 failed"))
        #expect(c.holds(u).map(\.status) == [.booked, .unavailable])
        #expect(c.account(r.id)?.netCaptured == r.amount)
        #expect(c.violations() == [])
    }

    @Test func upgradeWithADecliningCardReleasesTheNewHoldAndKeepsTheOriginal() throws {
        let c = HotelCluster()
        let r = try confirmed(c)
        _ = try c.call(
            c.reservations, ReservationsAPI.upgrade,
            UpgradeReservationRequest(
                reservationId: r.id, stay: deluxe, cardToken: SimulatedPaymentProvider.decliningCard))
        try c.deliverAll()
        let u = try #require(c.reservation(r.id))
        #expect(u.status == .confirmed && u.stay == r.stay && u.attempt == 0)
        #expect(u.upgrade?.code == "paymentDeclined")
        #expect(c.holds(u).map(\.status) == [.booked, .released])
        #expect(c.account(r.id)?.charges[1]?.status == .declined)
        #expect(c.ledger(Fixture.hotel).use("deluxe", Fixture.day).taken == 0)
        #expect(c.violations() == [])
    }

    @Test func upgradeWhoseHoldExpiresBeforeTheSwapVoidsTheDifference() throws {
        let c = HotelCluster()
        let r = try confirmed(c)
        _ = try c.call(
            c.reservations, ReservationsAPI.upgrade,
            UpgradeReservationRequest(reservationId: r.id, stay: deluxe, holdTtlMillis: 100))
        while let i = c.inFlight.firstIndex(where: {
            !($0.service == "inventory" && $0.event.type == HotelEventType.paymentAuthorized.rawValue)
        }) {
            try c.deliver(at: i)
        }
        #expect(c.reservation(r.id)?.saga.stage == .upgradeBookingRooms)
        c.advance(millis: 100)
        #expect(try c.tick() == 1)
        try c.deliverAll()
        let u = try #require(c.reservation(r.id))
        #expect(u.status == .confirmed && u.stay == r.stay)
        #expect(u.upgrade?.code == "holdExpired")
        #expect(c.account(r.id)?.charges[1]?.status == .voided)
        #expect(c.holds(u).map(\.status) == [.booked, .expired])
        #expect(c.violations() == [])
    }

    @Test func equalPriceUpgradeNeedsNoAuthorizationFromTheProvider() throws {
        let c = HotelCluster()
        let r = try confirmed(c)
        let later = Fixture.stay(from: Fixture.day + 7)
        _ = try c.call(
            c.reservations, ReservationsAPI.upgrade, UpgradeReservationRequest(reservationId: r.id, stay: later))
        try c.deliverAll()
        let u = try #require(c.reservation(r.id))
        #expect(u.stay == later && u.amount == r.amount)
        #expect(c.account(r.id)?.charges[1]?.authorizationCode == "none")
        #expect(c.violations() == [])
    }

    @Test func upgradesAreRefusedWhenTheyCannotApply() throws {
        let c = HotelCluster()
        let r = try confirmed(c, "k", Fixture.stay("deluxe"))
        func refusal(_ stay: Stay) -> String? {
            c.rejection(
                c.reservations, ReservationsAPI.upgrade, UpgradeReservationRequest(reservationId: r.id, stay: stay))
        }
        #expect(refusal(Fixture.stay("standard")) == HotelRejection.notAnUpgrade)  // cheaper
        #expect(refusal(Fixture.stay("deluxe")) == HotelRejection.notAnUpgrade)  // the stay it already books
        #expect(refusal(Fixture.stay("penthouse")) == HotelRejection.unknownRoomType)
        #expect(refusal(Fixture.stay("suite", nights: 0)) == HotelRejection.invalidStay)
        #expect(
            c.rejection(
                c.reservations, ReservationsAPI.upgrade, UpgradeReservationRequest(reservationId: "r-x", stay: deluxe))
                == HotelRejection.notFound)
        _ = try c.call(
            c.reservations, ReservationsAPI.upgrade,
            UpgradeReservationRequest(reservationId: r.id, stay: Fixture.stay("suite")))
        // The same upgrade again while it runs: the same answer, no second attempt.
        let again = try c.call(
            c.reservations, ReservationsAPI.upgrade,
            UpgradeReservationRequest(reservationId: r.id, stay: Fixture.stay("suite")))
        #expect(again.upgrade?.attempt == 1)
        #expect(refusal(Fixture.stay("suite", nights: 3)) == HotelRejection.upgradeInProgress)
        #expect(
            c.rejection(c.reservations, ReservationsAPI.cancel, KeyRequest(r.id)) == HotelRejection.upgradeInProgress)
        let pending = try c.call(c.reservations, ReservationsAPI.create, Fixture.create("p"))
        #expect(
            c.rejection(
                c.reservations, ReservationsAPI.upgrade,
                UpgradeReservationRequest(reservationId: pending.id, stay: deluxe))
                == HotelRejection.sagaInProgress)
        try c.deliverAll()
        #expect(c.violations() == [])
    }

    @Test func cancellingAnUpgradedReservationRefundsEveryCharge() throws {
        let c = HotelCluster()
        let r = try confirmed(c)
        _ = try c.call(
            c.reservations, ReservationsAPI.upgrade, UpgradeReservationRequest(reservationId: r.id, stay: deluxe))
        try c.deliverAll()
        _ = try c.call(c.reservations, ReservationsAPI.cancel, KeyRequest(r.id))
        try c.deliverAll()
        let account = try #require(c.account(r.id))
        #expect(account.charges.values.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.refunded, .refunded])
        #expect(account.refundedTotal == 2 * 15_000)
        #expect(c.holds(r).map(\.status) == [.released, .released])
        #expect(c.violations() == [])
    }

    @Test func aFailedUpgradeCanBeTriedAgainAsANewAttempt() throws {
        let c = HotelCluster()
        let r = try confirmed(c)
        _ = try c.call(
            c.reservations, ReservationsAPI.upgrade,
            UpgradeReservationRequest(
                reservationId: r.id, stay: deluxe, cardToken: SimulatedPaymentProvider.decliningCard))
        try c.deliverAll()
        let retried = try c.call(
            c.reservations, ReservationsAPI.upgrade, UpgradeReservationRequest(reservationId: r.id, stay: deluxe))
        #expect(retried.upgrade?.attempt == 2)
        try c.deliverAll()
        let u = try #require(c.reservation(r.id))
        #expect(u.attempt == 2 && u.stay == deluxe)
        #expect(c.holds(u).map(\.status) == [.released, .released, .booked])
        #expect(c.violations() == [])
    }
}
