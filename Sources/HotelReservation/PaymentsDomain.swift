import MeshSaga
import MeshWire

/// The payments service's state: every reservation's charges, and the charges waiting to retry the provider.
public struct PaymentsState: Hashable, Sendable {
    public var accounts: [String: PaymentAccount] = [:]
    /// `reservationId#attempt` of charges whose last authorization try timed out (derived from `accounts`).
    var retries: Set<String> = []

    public init() {}

    public func charge(_ reservationId: String, _ attempt: UInt32) -> Charge? {
        accounts[reservationId]?.charges[attempt]
    }
}

/// The payments service (key: reservation id): authorizes an attempt once both its request (from reservations)
/// and its hold (from inventory) are known, captures it when the reservation is confirmed or upgraded, voids it when
/// the hold expires or the reservation fails, refunds it when the reservation is cancelled.
///
/// Invariant (money matches): each charge moves along `Charge`'s transitions only, so it is captured at most once
/// and only after the reservation decided so; an attempt whose hold ended first is abandoned and never authorized.
public enum PaymentsDomain: HotelDomain {
    public typealias State = PaymentsState

    public static let serviceName = "payments"

    /// Authorization tries before a provider that does not answer counts as a decline (`providerTimeout`).
    public static let maximumTries: UInt32 = 3
    /// The delay before the second try; each further try waits twice as long.
    public static let firstRetryDelayNanos: Int64 = 500_000_000

    public static let subscribedEventTypes: Set<UInt16> = Set([
        .reservationRequested, .upgradeRequested, .reservationConfirmed, .reservationUpgraded,
        .reservationRejected, .upgradeFailed, .reservationCancelled, .roomsHeld, .holdExpired,
    ])

    public static func initialState() -> State { State() }

    public static func apply(_ event: DomainEvent, timestamp: Int64, to state: inout State) throws(WireError) {
        guard let type = HotelEventType(rawValue: event.type), HotelEventType.paymentEvents.contains(type) else {
            throw WireError(.invalidValue, "record type \(HotelEventType.name(of: event.type)) is not a payments event")
        }
        let e = try PaymentEvent(decoding: event.payload[...])
        var account =
            state.accounts[e.reservationId] ?? PaymentAccount(reservationId: e.reservationId, hotelId: e.hotelId)
        var c = account.charges[e.attempt] ?? Charge(attempt: e.attempt)
        func require(_ allowed: Set<Charge.Status>) throws(WireError) {
            guard allowed.contains(c.status) else {
                throw WireError(
                    .invalidValue, "\(type) for charge \(e.reservationId)#\(e.attempt) in status \(c.status)")
            }
        }
        switch type {
        case .paymentRequested:
            try require([.pending])
            c.hasRequest = true
            c.amount = e.amount
            c.cardToken = e.cardToken
        case .paymentHoldNoted:
            try require([.pending])
            c.holdHeld = true
        case .paymentTimedOut:
            try require([.pending])
            c.holdHeld = true
            c.tries = e.tries
            c.retryAt = e.retryAt
        case .paymentAuthorized:
            try require([.pending])
            c.holdHeld = true
            c.tries += 1
            c.status = .authorized
            c.amount = e.amount
            c.authorizationCode = e.authorizationCode
        case .paymentDeclined:
            try require([.pending])
            c.holdHeld = true
            c.tries += 1
            c.status = .declined
        case .paymentAbandoned:
            try require([.pending])
            c.status = .abandoned
        case .paymentCaptured:
            try require([.authorized])
            c.status = .captured
            c.captured = e.amount
        case .paymentVoided:
            try require([.authorized])
            c.status = .voided
        case .paymentRefunded:
            try require([.captured])
            c.status = .refunded
            c.refunded = e.amount
        default:
            throw WireError(.invalidValue, "\(type) is not a payments event")
        }
        if type != .paymentRequested && type != .paymentHoldNoted && !e.code.isEmpty {
            c.code = e.code
            c.reason = e.reason
        }
        let id = Hold.id(e.reservationId, e.attempt)
        if type == .paymentTimedOut {
            state.retries.insert(id)
        } else if c.status != .pending {
            state.retries.remove(id)
        }
        account.charges[e.attempt] = c
        state.accounts[e.reservationId] = account
    }

    /// The payments step of the saga (see the type's documentation). A redelivered or overtaken event yields nothing.
    public static func react(to event: DomainEvent, state: State, now: Int64) throws(DomainRejection) -> [DomainEvent] {
        guard let type = HotelEventType(rawValue: event.type), subscribedEventTypes.contains(event.type) else {
            throw DomainRejection(
                HotelRejection.invalidEvent, "payments does not consume \(HotelEventType.name(of: event.type))")
        }
        guard let envelope = SagaEnvelope.of(event) else {
            throw DomainRejection(HotelRejection.invalidEvent, "\(type) is not a saga event")
        }
        let (id, attempt) = (envelope.reservationId, envelope.attempt)
        let charge = state.charge(id, attempt)
        var out = PaymentEvent(reservationId: id, attempt: attempt, hotelId: envelope.hotelId)
        switch type {
        case .reservationRequested, .upgradeRequested:
            guard charge?.hasRequest != true, charge?.status ?? .pending == .pending else { return [] }
            guard let request = try? ReservationEvent(decoding: event.payload[...]) else {
                throw DomainRejection(HotelRejection.invalidEvent, "\(type) payload does not decode")
            }
            out.amount = type == .reservationRequested ? request.amount : request.difference
            out.cardToken = request.cardToken
            var c = charge ?? Charge(attempt: attempt)
            c.hasRequest = true
            c.amount = out.amount
            c.cardToken = out.cardToken
            let recorded = out.event(.paymentRequested)
            return c.holdHeld ? [recorded] + authorize(c, out, now: now) : [recorded]
        case .roomsHeld:
            guard let c = charge else { return [out.event(.paymentHoldNoted)] }
            guard c.status == .pending, !c.holdHeld else { return [] }
            return c.hasRequest ? authorize(c, out, now: now) : [out.event(.paymentHoldNoted)]
        case .holdExpired, .reservationRejected, .upgradeFailed:
            let code = type == .holdExpired ? "holdExpired" : "reservationFailed"
            return settleFailed(charge, out, code: code)
        case .reservationConfirmed, .reservationUpgraded:
            guard let c = charge, c.status == .authorized else { return [] }
            out.amount = c.amount
            return [out.event(.paymentCaptured)]
        case .reservationCancelled:
            guard let account = state.accounts[id] else { return [] }
            return account.charges.keys.sorted().flatMap { a -> [DomainEvent] in
                var e = PaymentEvent(reservationId: id, attempt: a, hotelId: account.hotelId)
                let c = account.charges[a]!
                switch c.status {
                case .captured:
                    e.amount = c.captured
                    e.code = "cancelled"
                    return [e.event(.paymentRefunded)]
                case .authorized, .pending:
                    return settleFailed(c, e, code: "cancelled")
                default:
                    return []
                }
            }
        default:
            return []
        }
    }

    /// Voids an authorized charge, abandons one not yet authorized (or not yet known, so a late request is ignored).
    private static func settleFailed(_ charge: Charge?, _ e: PaymentEvent, code: String) -> [DomainEvent] {
        var e = e
        e.code = code
        switch charge?.status {
        case .authorized?:
            e.amount = charge!.amount
            e.reason = "authorization released"
            return [e.event(.paymentVoided)]
        case .pending?, nil:
            e.reason = "ended before it was authorized"
            return [e.event(.paymentAbandoned)]
        default:
            return []
        }
    }

    /// One authorization try with the provider (nothing to ask for an amount of 0).
    private static func authorize(_ c: Charge, _ e: PaymentEvent, now: Int64) -> [DomainEvent] {
        var e = e
        e.amount = c.amount
        e.cardToken = ""
        if c.amount == 0 {
            e.authorizationCode = "none"
            return [e.event(.paymentAuthorized)]
        }
        switch SimulatedPaymentProvider.authorize(
            cardToken: c.cardToken, amount: c.amount, reservationId: e.reservationId, attempt: e.attempt)
        {
        case .approved(let code):
            e.authorizationCode = code
            return [e.event(.paymentAuthorized)]
        case .declined(let code, let reason):
            e.code = code
            e.reason = reason
            return [e.event(.paymentDeclined)]
        case .timedOut:
            let tries = c.tries + 1
            guard tries < maximumTries else {
                e.code = "providerTimeout"
                e.reason = "the payment provider did not answer \(tries) tries"
                return [e.event(.paymentDeclined)]
            }
            e.tries = tries
            e.retryAt = now + firstRetryDelayNanos << Int64(tries - 1)
            return [e.event(.paymentTimedOut)]
        }
    }

    /// Retries the provider for every charge whose retry time has come.
    public static func due(state: State, now: Int64) -> [DomainEvent] {
        state.retries.sorted().flatMap { id -> [DomainEvent] in
            guard let hash = id.lastIndex(of: "#"), let attempt = UInt32(id[id.index(after: hash)...]) else {
                return []
            }
            let reservationId = String(id[..<hash])
            guard let account = state.accounts[reservationId], let c = account.charges[attempt], c.status == .pending,
                c.retryAt <= now
            else { return [] }
            return authorize(
                c, PaymentEvent(reservationId: reservationId, attempt: attempt, hotelId: account.hotelId), now: now)
        }
    }

    /// Own events by their stream key; reservations and inventory events by their reservation id.
    public static func partitionKey(of event: DomainEvent) -> String {
        SagaEnvelope.partitionKey(of: event, own: HotelEventType.paymentEvents, other: \.reservationId)
    }

    public static func encodeSnapshot(_ state: State) -> [UInt8] {
        var w = PayloadWriter()
        for id in state.accounts.keys.sorted() { w.message(1, state.accounts[id]!) }
        return w.bytes
    }

    public static func decodeSnapshot(_ bytes: ArraySlice<UInt8>) throws(WireError) -> State {
        var state = State()
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            guard f.number == 1 else { continue }
            let account = try f.message(PaymentAccount.self)
            state.accounts[account.reservationId] = account
            for c in account.charges.values where c.status == .pending && c.tries > 0 {
                state.retries.insert(Hold.id(account.reservationId, c.attempt))
            }
        }
        return state
    }
}
