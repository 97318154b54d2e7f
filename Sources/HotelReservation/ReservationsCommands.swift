import MeshSaga

/// The reservations service's pure decisions (commands) and answers (queries).
public enum ReservationsCommands {
    /// A hold lives this long when the request does not say (it bounds how long a stuck saga keeps rooms).
    public static let defaultHoldTtlMillis: UInt64 = 30_000
    /// The longest hold a request may ask for.
    public static let maximumHoldTtlMillis: UInt64 = 600_000
    /// Idempotency keys, guest ids and card tokens are at most this many UTF-8 bytes.
    public static let maximumKeyLength = 128

    /// Creates a reservation, or returns the one this idempotency key already made. The same key with a different
    /// request is refused (`idempotencyConflict`).
    public static func create(
        _ request: CreateReservationRequest, state: ReservationsState, now: Int64
    ) throws(DomainRejection) -> (response: Reservation, events: [DomainEvent]) {
        try require(request.idempotencyKey, "idempotencyKey")
        try require(request.guestId, "guestId")
        try require(request.cardToken, "cardToken")
        _ = try request.stay.validated(in: request.hotelId)
        let ttl = try holdTtlNanos(request.holdTtlMillis)
        let id = ReservationID.derive(idempotencyKey: request.idempotencyKey)
        if let existing = state.reservations[id] {
            guard existing.idempotencyKey == request.idempotencyKey else {
                throw DomainRejection(
                    HotelRejection.idempotencyConflict, "reservation id \(id) is taken by another idempotency key")
            }
            guard
                existing.guestId == request.guestId && existing.hotelId == request.hotelId
                    && existing.requestedStay == request.stay && existing.cardToken == request.cardToken
            else {
                throw DomainRejection(
                    HotelRejection.idempotencyConflict,
                    "idempotency key \"\(request.idempotencyKey)\" was used for a different reservation request")
            }
            return (existing, [])
        }
        var e = ReservationEvent(reservationId: id, hotelId: request.hotelId)
        e.guestId = request.guestId
        e.idempotencyKey = request.idempotencyKey
        e.stay = request.stay
        e.cardToken = request.cardToken
        e.amount = Catalogue.price(of: request.stay, in: request.hotelId)!
        e.holdTtlNanos = ttl
        return (Reservation(requested: e, at: now), [e.event(.reservationRequested)])
    }

    /// Cancels a confirmed reservation (its rooms are released and its payment refunded by the saga). Cancelling
    /// a cancelled reservation returns it unchanged.
    public static func cancel(
        _ request: KeyRequest, state: ReservationsState, now: Int64
    ) throws(DomainRejection) -> (response: Reservation, events: [DomainEvent]) {
        var r = try reservation(request.key, in: state)
        switch r.status {
        case .cancelled:
            return (r, [])
        case .pending:
            throw DomainRejection(
                HotelRejection.sagaInProgress, "reservation \(r.id) is still \(r.saga.stage); retry later")
        case .rejected:
            throw DomainRejection(HotelRejection.notConfirmed, "reservation \(r.id) was rejected; nothing to cancel")
        case .confirmed:
            guard !r.upgradeInProgress else {
                throw DomainRejection(
                    HotelRejection.upgradeInProgress, "reservation \(r.id) is being upgraded; retry later")
            }
        }
        var e = ReservationEvent(reservationId: r.id, attempt: r.attempt, hotelId: r.hotelId)
        e.reason = request.reason.isEmpty ? "cancelled by the guest" : request.reason
        e.amount = r.amount
        try preview(&r, .reservationCancelled, e, now)
        return (r, [e.event(.reservationCancelled)])
    }

    /// Upgrades a confirmed reservation to another room type or dates in the same hotel, costing no less. The
    /// saga holds the new rooms, authorizes the difference, then swaps; on any failure the original booking stays.
    /// Asking again for the upgrade that is running (or already done) returns the reservation unchanged.
    public static func upgrade(
        _ request: UpgradeReservationRequest, state: ReservationsState, now: Int64
    ) throws(DomainRejection) -> (response: Reservation, events: [DomainEvent]) {
        var r = try reservation(request.reservationId, in: state)
        if r.upgrade?.stay == request.stay && r.upgrade?.state != .failed { return (r, []) }
        guard r.status == .confirmed else {
            throw DomainRejection(
                r.status == .pending ? HotelRejection.sagaInProgress : HotelRejection.notConfirmed,
                "reservation \(r.id) is \(r.status); only confirmed reservations can be upgraded")
        }
        guard !r.upgradeInProgress else {
            throw DomainRejection(HotelRejection.upgradeInProgress, "reservation \(r.id) has an upgrade running")
        }
        _ = try request.stay.validated(in: r.hotelId)
        let newAmount = Catalogue.price(of: request.stay, in: r.hotelId)!
        guard request.stay != r.stay, newAmount >= r.amount else {
            throw DomainRejection(
                HotelRejection.notAnUpgrade,
                request.stay == r.stay
                    ? "the reservation already books this stay"
                    : "the new stay costs \(newAmount), less than the \(r.amount) paid")
        }
        var e = ReservationEvent(reservationId: r.id, attempt: (r.upgrade?.attempt ?? 0) + 1, hotelId: r.hotelId)
        e.stay = request.stay
        e.cardToken = request.cardToken.isEmpty ? r.cardToken : request.cardToken
        e.amount = newAmount
        e.difference = newAmount - r.amount
        e.holdTtlNanos = try holdTtlNanos(request.holdTtlMillis)
        e.previousAttempt = r.attempt
        try preview(&r, .upgradeRequested, e, now)
        return (r, [e.event(.upgradeRequested)])
    }

    public static func get(_ request: KeyRequest, state: ReservationsState, now: Int64) throws(DomainRejection)
        -> Reservation
    {
        try reservation(request.key, in: state)
    }

    /// The saga progress of one reservation (the admin view: stage, why, last event, deadline, path).
    public static func saga(_ request: KeyRequest, state: ReservationsState, now: Int64) throws(DomainRejection)
        -> SagaProgress
    {
        try reservation(request.key, in: state).saga
    }

    /// This partition's reservations of a guest, oldest first (then by id) (the caller merges partitions).
    public static func listByGuest(
        _ request: KeyRequest, state: ReservationsState, now: Int64
    ) throws(DomainRejection) -> MessageList<Reservation> {
        try require(request.key, "guestId")
        let found = (state.byGuest[request.key] ?? []).compactMap { state.reservations[$0] }
        return MessageList(found.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) })
    }

    /// This partition's sagas that have not finished (or all), oldest first, at most `limit` (default 100).
    public static func listSagas(
        _ request: SagaListRequest, state: ReservationsState, now: Int64
    ) throws(DomainRejection) -> MessageList<SagaProgress> {
        let limit = request.limit == 0 ? 100 : Int(request.limit)
        let open = state.reservations.values.filter { r in
            request.includeFinished || !r.saga.stage.isTerminal || r.upgradeInProgress
        }
        let sorted = open.sorted { ($0.saga.startedAt, $0.id) < ($1.saga.startedAt, $1.id) }
        return MessageList(sorted.prefix(limit).map(\.saga))
    }

    private static func reservation(_ id: String, in state: ReservationsState) throws(DomainRejection) -> Reservation {
        guard let r = state.reservations[id] else {
            throw DomainRejection(HotelRejection.notFound, "no reservation \"\(id)\"")
        }
        return r
    }

    private static func require(_ value: String, _ name: String) throws(DomainRejection) {
        guard !value.isEmpty, value.utf8.count <= maximumKeyLength else {
            throw DomainRejection(HotelRejection.invalidRequest, "\(name) must be 1…\(maximumKeyLength) bytes")
        }
    }

    private static func holdTtlNanos(_ millis: UInt64) throws(DomainRejection) -> UInt64 {
        let ms = millis == 0 ? defaultHoldTtlMillis : millis
        guard ms <= maximumHoldTtlMillis else {
            throw DomainRejection(HotelRejection.invalidRequest, "holdTtlMillis is at most \(maximumHoldTtlMillis)")
        }
        return ms * 1_000_000
    }

    /// The reservation as it will be once `e` is applied (the command's response).
    private static func preview(
        _ r: inout Reservation, _ type: HotelEventType, _ e: ReservationEvent, _ now: Int64
    ) throws(DomainRejection) {
        do {
            try r.apply(type, e, at: now)
        } catch {
            throw DomainRejection(HotelRejection.invalidRequest, "\(error)")
        }
    }
}
