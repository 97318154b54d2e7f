import MeshSaga
import MeshWire

/// The reservations service's state: every reservation this instance owns, and a guest index.
public struct ReservationsState: Hashable, Sendable {
    public var reservations: [String: Reservation] = [:]
    /// Reservation ids per guest (derived from `reservations`; not in snapshots).
    public var byGuest: [String: Set<String>] = [:]

    public init() {}
}

/// The reservations service (key: reservation id): creates reservations, starts their saga with
/// `ReservationRequested`, turns inventory's and payments' outcomes into exactly one terminal state, and keeps each
/// saga's progress. Commands and queries are in `ReservationsCommands`, the RPC surface in `ReservationsAPI`.
public enum ReservationsDomain: HotelDomain {
    public typealias State = ReservationsState

    public static let serviceName = "reservations"

    public static let subscribedEventTypes: Set<UInt16> = Set([
        .roomsHeld, .roomsUnavailable, .holdBooked, .holdReleased, .holdExpired,
        .paymentAuthorized, .paymentDeclined, .paymentCaptured, .paymentVoided, .paymentRefunded,
    ])

    public static func initialState() -> State { State() }

    public static func apply(_ event: DomainEvent, timestamp: Int64, to state: inout State) throws(WireError) {
        guard let type = HotelEventType(rawValue: event.type), HotelEventType.reservationEvents.contains(type) else {
            throw WireError(
                .invalidValue, "record type \(HotelEventType.name(of: event.type)) is not a reservations event")
        }
        let e = try ReservationEvent(decoding: event.payload[...])
        if type == .reservationRequested {
            guard state.reservations[e.reservationId] == nil else {
                throw WireError(.invalidValue, "reservation \(e.reservationId) is requested twice")
            }
            state.reservations[e.reservationId] = Reservation(requested: e, at: timestamp)
            state.byGuest[e.guestId, default: []].insert(e.reservationId)
            return
        }
        guard state.reservations[e.reservationId] != nil else {
            throw WireError(.invalidValue, "\(type) for unknown reservation \(e.reservationId)")
        }
        try state.reservations[e.reservationId]!.apply(type, e, at: timestamp)
    }

    /// Notes every inventory and payments event in the saga path once, and turns the decisive ones into the
    /// reservation's own decision: `RoomsUnavailable` / `PaymentDeclined` / `HoldExpired` → rejected (or the upgrade
    /// failed), `HoldBooked` → confirmed (or upgraded). A redelivered event yields nothing.
    public static func react(to event: DomainEvent, state: State, now: Int64) throws(DomainRejection) -> [DomainEvent] {
        guard let type = HotelEventType(rawValue: event.type), subscribedEventTypes.contains(event.type) else {
            throw DomainRejection(
                HotelRejection.invalidEvent, "reservations does not consume \(HotelEventType.name(of: event.type))")
        }
        guard let envelope = SagaEnvelope.of(event), let reservation = state.reservations[envelope.reservationId] else {
            throw DomainRejection(HotelRejection.invalidEvent, "\(type) names no reservation of this service")
        }
        if reservation.observed.contains(Reservation.observationKey(event.type, envelope.attempt)) { return [] }
        var note = ReservationEvent(
            reservationId: reservation.id, attempt: envelope.attempt, hotelId: reservation.hotelId)
        note.sourceType = event.type
        var decision: (HotelEventType, code: String, reason: String)?
        if HotelEventType.inventoryEvents.contains(type) {
            guard let hold = try? HoldEvent(decoding: event.payload[...]) else {
                throw DomainRejection(HotelRejection.invalidEvent, "\(type) payload does not decode")
            }
            note.detail = hold.reason.isEmpty ? "\(type)" : "\(type): \(hold.reason)"
            if type == .roomsHeld { note.deadline = hold.expiresAt }
            decision = outcome(of: type, reason: hold.reason)
        } else {
            guard let payment = try? PaymentEvent(decoding: event.payload[...]) else {
                throw DomainRejection(HotelRejection.invalidEvent, "\(type) payload does not decode")
            }
            note.detail =
                payment.code.isEmpty ? "\(type) \(payment.amount)" : "\(type) \(payment.code): \(payment.reason)"
            if type == .paymentDeclined {
                decision = (.reservationRejected, "paymentDeclined", "\(payment.code): \(payment.reason)")
            }
        }
        var events = [note.event(.sagaStepObserved)]
        if let decision { events += decide(decision, for: reservation, attempt: envelope.attempt) }
        return events
    }

    /// The reservation-level outcome an inventory event implies (as if for the original booking).
    private static func outcome(of type: HotelEventType, reason: String) -> (
        HotelEventType, code: String, reason: String
    )? {
        switch type {
        case .roomsUnavailable: (.reservationRejected, "roomsUnavailable", reason)
        case .holdExpired: (.reservationRejected, "holdExpired", "the hold expired before the payment was authorized")
        case .holdBooked: (.reservationConfirmed, "", "")
        default: nil
        }
    }

    /// Applies an outcome to the attempt it concerns: the original booking while pending, or the running upgrade
    /// (where a rejection becomes `UpgradeFailed` and a booking `ReservationUpgraded`). Stale outcomes yield nothing.
    private static func decide(
        _ d: (type: HotelEventType, code: String, reason: String), for r: Reservation, attempt: UInt32
    ) -> [DomainEvent] {
        var e = ReservationEvent(reservationId: r.id, attempt: attempt, hotelId: r.hotelId)
        if attempt == 0 && r.status == .pending {
            if d.type == .reservationConfirmed {
                e.amount = r.amount
            } else {
                e.code = d.code
                e.reason = d.reason
            }
            return [e.event(d.type)]
        }
        guard let upgrade = r.upgrade, upgrade.state == .pending, upgrade.attempt == attempt, r.status == .confirmed
        else {
            return []
        }
        if d.type == .reservationConfirmed {
            e.stay = upgrade.stay
            e.amount = upgrade.amount
            e.previousAttempt = r.attempt
            return [e.event(.reservationUpgraded)]
        }
        e.code = d.code
        e.reason = d.reason
        return [e.event(.upgradeFailed)]
    }

    /// Reservations has no timers of its own: hold expiry is inventory's decision.
    public static func due(state: State, now: Int64) -> [DomainEvent] { [] }

    /// Own events by their stream key; inventory and payments events by their reservation id.
    public static func partitionKey(of event: DomainEvent) -> String {
        SagaEnvelope.partitionKey(of: event, own: HotelEventType.reservationEvents, other: \.reservationId)
    }

    public static func encodeSnapshot(_ state: State) -> [UInt8] {
        var w = PayloadWriter()
        for id in state.reservations.keys.sorted() { w.message(1, state.reservations[id]!) }
        return w.bytes
    }

    public static func decodeSnapshot(_ bytes: ArraySlice<UInt8>) throws(WireError) -> State {
        var state = State()
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            guard f.number == 1 else { continue }
            let reservation = try f.message(Reservation.self)
            state.reservations[reservation.id] = reservation
            state.byGuest[reservation.guestId, default: []].insert(reservation.id)
        }
        return state
    }
}
