import MeshWire

/// One reservation: what was asked, what is booked now, where it stands, its latest upgrade and its saga.
/// It is both the aggregate the reservations service folds its events into and the body of its responses.
///
/// Legal transitions: `pending` → `confirmed` | `rejected`; `confirmed` → `cancelled`. Nothing leaves `rejected`
/// or `cancelled`, and a confirmed reservation stays confirmed through an upgrade, failed or not.
public struct Reservation: WireMessage, Hashable {
    public enum Status: UInt32, Sendable, Hashable, CustomStringConvertible {
        case pending = 1
        case confirmed = 2
        case rejected = 3
        case cancelled = 4

        public var description: String {
            switch self {
            case .pending: "pending"
            case .confirmed: "confirmed"
            case .rejected: "rejected"
            case .cancelled: "cancelled"
            }
        }
    }

    /// The latest upgrade of a reservation: another room type or dates in the same hotel.
    public struct Upgrade: WireMessage, Hashable {
        public enum State: UInt32, Sendable, Hashable {
            case pending = 1
            case failed = 2
            case succeeded = 3
        }

        public var attempt: UInt32
        public var stay: Stay
        /// The new total (cents) and what is authorized on top of what was paid.
        public var amount: UInt64
        public var difference: UInt64
        public var state: State
        public var code: String = ""
        public var reason: String = ""

        public init(attempt: UInt32, stay: Stay, amount: UInt64, difference: UInt64, state: State) {
            self.attempt = attempt
            self.stay = stay
            self.amount = amount
            self.difference = difference
            self.state = state
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
            self.init(
                attempt: 0, stay: Stay(roomType: "", checkIn: 0, checkOut: 0), amount: 0, difference: 0, state: .pending
            )
            var r = PayloadReader(bytes)
            while let f = try r.next() {
                switch f.number {
                case 1: attempt = try f.uint32()
                case 2: stay = try f.message(Stay.self)
                case 3: amount = try f.uint()
                case 4: difference = try f.uint()
                case 5:
                    let v = try f.uint32()
                    guard let s = State(rawValue: v) else {
                        throw WireError(.invalidValue, "upgrade state \(v) is unknown")
                    }
                    state = s
                case 6: code = try f.string()
                case 7: reason = try f.string()
                default: break
                }
            }
        }

        public func encode(to w: inout PayloadWriter) {
            if attempt != 0 { w.uint(1, UInt64(attempt)) }
            w.message(2, stay)
            if amount != 0 { w.uint(3, amount) }
            if difference != 0 { w.uint(4, difference) }
            w.uint(5, UInt64(state.rawValue))
            if !code.isEmpty { w.string(6, code) }
            if !reason.isEmpty { w.string(7, reason) }
        }
    }

    public var id: String
    public var guestId: String
    public var idempotencyKey: String
    public var hotelId: String
    /// What is booked now (after an upgrade: the new stay).
    public var stay: Stay
    /// What the create request asked for (compared when the idempotency key comes again).
    public var requestedStay: Stay
    public var cardToken: String
    /// The price of `stay`, in cents.
    public var amount: UInt64
    public var holdTtlNanos: UInt64
    public var status: Status
    /// The attempt whose hold is the current booking (0 until an upgrade succeeds).
    public var attempt: UInt32 = 0
    public var createdAt: Int64
    /// Why the reservation was rejected or cancelled.
    public var code: String = ""
    public var reason: String = ""
    public var upgrade: Upgrade?
    public var saga: SagaProgress
    /// `type << 32 | attempt` of every other service's event already noted: a redelivery is recognised and
    /// changes nothing.
    public var observed: Set<UInt64> = []

    /// True while an upgrade waits for its outcome.
    public var upgradeInProgress: Bool { upgrade?.state == .pending }

    /// The reservation `ReservationRequested` creates.
    init(requested e: ReservationEvent, at: Int64) {
        let stay = e.stay ?? Stay(roomType: "", checkIn: 0, checkOut: 0)
        id = e.reservationId
        guestId = e.guestId
        idempotencyKey = e.idempotencyKey
        hotelId = e.hotelId
        self.stay = stay
        requestedStay = stay
        cardToken = e.cardToken
        amount = e.amount
        holdTtlNanos = e.holdTtlNanos
        status = .pending
        createdAt = at
        saga = SagaProgress(
            reservationId: e.reservationId, stage: .holdingRooms,
            why: "waiting for inventory to hold \(stay.rooms) \(stay.roomType) room(s) in \(e.hotelId)")
        saga.startedAt = at
        saga.record(.init(at: at, type: HotelEventType.reservationRequested.rawValue, attempt: 0, detail: "requested"))
    }

    /// Folds one of this reservation's own events (not `ReservationRequested`, which creates it).
    mutating func apply(_ type: HotelEventType, _ e: ReservationEvent, at: Int64) throws(WireError) {
        var detail = type.description
        switch type {
        case .reservationRequested:
            throw WireError(.invalidValue, "reservation \(id) is requested twice")
        case .reservationConfirmed:
            guard status == .pending else { throw transitionError(type) }
            status = .confirmed
            saga.enter(.confirmed, "confirmed: rooms booked, payment being captured", at: at)
        case .reservationRejected:
            guard status == .pending else { throw transitionError(type) }
            status = .rejected
            code = e.code
            reason = e.reason
            detail = "\(e.code): \(e.reason)"
            saga.enter(.rejected, "rejected (\(e.code)): \(e.reason)", at: at)
        case .reservationCancelled:
            guard status == .confirmed, !upgradeInProgress else { throw transitionError(type) }
            status = .cancelled
            code = "cancelled"
            reason = e.reason
            saga.enter(.cancelled, "cancelled: rooms released, payment refunded", at: at)
        case .upgradeRequested:
            guard status == .confirmed, !upgradeInProgress, let stay = e.stay else { throw transitionError(type) }
            upgrade = Upgrade(
                attempt: e.attempt, stay: stay, amount: e.amount, difference: e.difference, state: .pending)
            saga.enter(
                .upgradeHoldingRooms, "upgrade \(e.attempt): waiting for inventory to hold the new rooms", at: at)
        case .reservationUpgraded:
            guard status == .confirmed, var u = upgrade, u.state == .pending, u.attempt == e.attempt else {
                throw transitionError(type)
            }
            u.state = .succeeded
            upgrade = u
            stay = u.stay
            amount = u.amount
            attempt = u.attempt
            saga.enter(.confirmed, "confirmed after upgrade \(u.attempt)", at: at)
        case .upgradeFailed:
            guard status == .confirmed, var u = upgrade, u.state == .pending, u.attempt == e.attempt else {
                throw transitionError(type)
            }
            u.state = .failed
            u.code = e.code
            u.reason = e.reason
            upgrade = u
            detail = "\(e.code): \(e.reason)"
            saga.enter(.confirmed, "confirmed; upgrade \(u.attempt) failed (\(e.code)): \(e.reason)", at: at)
        case .sagaStepObserved:
            observed.insert(Self.observationKey(e.sourceType, e.attempt))
            detail = e.detail
            observe(e, at: at)
        default:
            throw WireError(.invalidValue, "\(type) is not a reservations event")
        }
        let recordedType = type == .sagaStepObserved ? e.sourceType : type.rawValue
        saga.record(.init(at: at, type: recordedType, attempt: e.attempt, detail: detail))
    }

    /// Moves the saga's stage on for another service's progress (decisive events come as our own events).
    private mutating func observe(_ e: ReservationEvent, at: Int64) {
        let isCurrent = status == .pending && e.attempt == 0
        let isUpgrade = upgradeInProgress && upgrade?.attempt == e.attempt
        switch HotelEventType(rawValue: e.sourceType) {
        case .roomsHeld where isCurrent:
            saga.enter(
                .authorizingPayment, "rooms held; waiting for payments to authorize", at: at, deadline: e.deadline)
        case .roomsHeld where isUpgrade:
            saga.enter(
                .upgradeAuthorizingPayment, "upgrade \(e.attempt): new rooms held; waiting for payments", at: at,
                deadline: e.deadline)
        case .paymentAuthorized where isCurrent && saga.stage != .confirmed:
            saga.enter(
                .bookingRooms, "payment authorized; waiting for inventory to book the hold", at: at,
                deadline: saga.nextDeadline)
        case .paymentAuthorized where isUpgrade:
            saga.enter(
                .upgradeBookingRooms, "upgrade \(e.attempt): difference authorized; waiting for the swap", at: at,
                deadline: saga.nextDeadline)
        default:
            break
        }
    }

    static func observationKey(_ type: UInt16, _ attempt: UInt32) -> UInt64 { UInt64(type) << 32 | UInt64(attempt) }

    private func transitionError(_ type: HotelEventType) -> WireError {
        WireError(.invalidValue, "\(type) does not apply to reservation \(id) in status \(status)")
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        let empty = Stay(roomType: "", checkIn: 0, checkOut: 0)
        id = ""
        guestId = ""
        idempotencyKey = ""
        hotelId = ""
        stay = empty
        requestedStay = empty
        cardToken = ""
        amount = 0
        holdTtlNanos = 0
        status = .pending
        createdAt = 0
        saga = SagaProgress(reservationId: "", stage: .holdingRooms, why: "")
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: id = try f.string()
            case 2: guestId = try f.string()
            case 3: idempotencyKey = try f.string()
            case 4: hotelId = try f.string()
            case 5: stay = try f.message(Stay.self)
            case 6: requestedStay = try f.message(Stay.self)
            case 7: cardToken = try f.string()
            case 8: amount = try f.uint()
            case 9: holdTtlNanos = try f.uint()
            case 10:
                let v = try f.uint32()
                guard let s = Status(rawValue: v) else {
                    throw WireError(.invalidValue, "reservation status \(v) is unknown")
                }
                status = s
            case 11: attempt = try f.uint32()
            case 12: createdAt = try f.int()
            case 13: code = try f.string()
            case 14: reason = try f.string()
            case 15: upgrade = try f.message(Upgrade.self)
            case 16: saga = try f.message(SagaProgress.self)
            case 17: observed.insert(try f.uint())
            default: break
            }
        }
        try HotelWire.require(id, "reservation id", 1)
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, id)
        if !guestId.isEmpty { w.string(2, guestId) }
        if !idempotencyKey.isEmpty { w.string(3, idempotencyKey) }
        if !hotelId.isEmpty { w.string(4, hotelId) }
        w.message(5, stay)
        w.message(6, requestedStay)
        if !cardToken.isEmpty { w.string(7, cardToken) }
        if amount != 0 { w.uint(8, amount) }
        if holdTtlNanos != 0 { w.uint(9, holdTtlNanos) }
        w.uint(10, UInt64(status.rawValue))
        if attempt != 0 { w.uint(11, UInt64(attempt)) }
        if createdAt != 0 { w.int(12, createdAt) }
        if !code.isEmpty { w.string(13, code) }
        if !reason.isEmpty { w.string(14, reason) }
        if let upgrade { w.message(15, upgrade) }
        w.message(16, saga)
        for key in observed.sorted() { w.uint(17, key) }
    }
}
