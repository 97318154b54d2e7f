import MeshSaga
import MeshWire

/// The inventory service's state: the counters of every hotel this instance owns and every hold it decided.
public struct InventoryState: Hashable, Sendable {
    /// Hotels with at least one event (the others have nothing taken, version 0).
    public var hotels: [String: HotelLedger] = [:]
    /// Every hold by `reservationId#attempt`.
    public var holds: [String: Hold] = [:]
    /// Held (not yet booked) holds ordered by expiry, then id: what `due` expires (derived from `holds`).
    var expiries: [Expiry] = []

    struct Expiry: Hashable, Sendable, Comparable {
        var at: Int64
        var holdId: String
        static func < (a: Expiry, b: Expiry) -> Bool { (a.at, a.holdId) < (b.at, b.holdId) }
    }

    public init() {}

    public func ledger(_ hotelId: String) -> HotelLedger { hotels[hotelId] ?? HotelLedger(hotelId: hotelId) }

    /// The holds of one reservation in attempt order.
    public func holds(of reservationId: String) -> [Hold] {
        var found: [Hold] = []
        var attempt: UInt32 = 0
        while let h = holds[Hold.id(reservationId, attempt)] {
            found.append(h)
            attempt += 1
        }
        return found
    }

    mutating func insertExpiry(_ e: Expiry) {
        var low = expiries.count
        while low > 0 && e < expiries[low - 1] { low -= 1 }  // expiries arrive almost in order: scan from the end
        expiries.insert(e, at: low)
    }

    mutating func removeExpiry(_ e: Expiry) {
        var low = 0
        var high = expiries.count
        while low < high {
            let mid = (low + high) / 2
            if expiries[mid] < e { low = mid + 1 } else { high = mid }
        }
        if low < expiries.count && expiries[low] == e { expiries.remove(at: low) }
    }
}

/// The inventory service (key: hotel id): holds rooms for a date range with a time to live, books a hold when its
/// payment is authorized, releases holds on decline, cancellation and upgrade, and expires holds not booked in time.
///
/// Invariants: a hold is taken only if every night of the stay has the rooms free (no overbooking); each
/// `reservationId#attempt` is held at most once (a redelivered request finds its record); a hold is booked only
/// while held, so a hold that expired can never be booked afterwards: the one log decides which came first.
public enum InventoryDomain: HotelDomain {
    public typealias State = InventoryState

    public static let serviceName = "inventory"

    /// At most this many holds expire per `due` call (the rest on the next call).
    public static let maximumExpiriesPerTick = 256

    public static let subscribedEventTypes: Set<UInt16> = Set([
        .reservationRequested, .upgradeRequested, .reservationCancelled, .paymentAuthorized, .paymentDeclined,
    ])

    public static func initialState() -> State { State() }

    public static func apply(_ event: DomainEvent, timestamp: Int64, to state: inout State) throws(WireError) {
        guard let type = HotelEventType(rawValue: event.type), HotelEventType.inventoryEvents.contains(type) else {
            throw WireError(
                .invalidValue, "record type \(HotelEventType.name(of: event.type)) is not an inventory event")
        }
        let e = try HoldEvent(decoding: event.payload[...])
        var ledger = state.ledger(e.hotelId)
        guard e.version == ledger.version + 1 else {
            throw WireError(
                .invalidValue, "\(type) of \(e.hotelId) has version \(e.version), expected \(ledger.version + 1)")
        }
        let id = Hold.id(e.reservationId, e.attempt)
        let previous = state.holds[id]
        func requireStatus(_ allowed: Set<Hold.Status>) throws(WireError) -> Hold {
            guard let h = previous, allowed.contains(h.status) else {
                throw WireError(
                    .invalidValue, "\(type) for hold \(id) in status \(previous?.status.description ?? "none")")
            }
            return h
        }
        switch type {
        case .roomsHeld, .roomsUnavailable:
            guard previous == nil else { throw WireError(.invalidValue, "hold \(id) is decided twice") }
            var h = Hold(
                reservationId: e.reservationId, attempt: e.attempt, hotelId: e.hotelId, stay: e.stay,
                status: type == .roomsHeld ? .held : .unavailable)
            h.reason = e.reason
            if type == .roomsHeld {
                h.expiresAt = e.expiresAt
                try ledger.change(e.stay, held: 1)
                state.insertExpiry(.init(at: e.expiresAt, holdId: id))
            }
            state.holds[id] = h
        case .holdBooked:
            var h = try requireStatus([.held])
            try ledger.change(h.stay, held: -1, booked: 1)
            state.removeExpiry(.init(at: h.expiresAt, holdId: id))
            h.status = .booked
            state.holds[id] = h
        case .holdReleased, .holdExpired:
            var h = try requireStatus(type == .holdExpired ? [.held] : [.held, .booked])
            if h.status == .held {
                try ledger.change(h.stay, held: -1)
                state.removeExpiry(.init(at: h.expiresAt, holdId: id))
            } else {
                try ledger.change(h.stay, booked: -1)
            }
            h.status = type == .holdExpired ? .expired : .released
            h.reason = e.reason
            state.holds[id] = h
        default:
            throw WireError(.invalidValue, "\(type) is not an inventory event")
        }
        ledger.version = e.version
        ledger.lastEventAt = e.at
        state.hotels[e.hotelId] = ledger
    }

    /// `ReservationRequested` / `UpgradeRequested` → `RoomsHeld` or `RoomsUnavailable`; `PaymentAuthorized` →
    /// `HoldBooked` (and, for an upgrade, `HoldReleased` of the booking it replaces, in the same record: the swap);
    /// `PaymentDeclined` → `HoldReleased`; `ReservationCancelled` → `HoldReleased` of what the reservation holds.
    /// An event that finds its work done (or overtaken: a hold that expired first) yields nothing.
    public static func react(to event: DomainEvent, state: State, now: Int64) throws(DomainRejection) -> [DomainEvent] {
        guard let type = HotelEventType(rawValue: event.type), subscribedEventTypes.contains(event.type) else {
            throw DomainRejection(
                HotelRejection.invalidEvent, "inventory does not consume \(HotelEventType.name(of: event.type))")
        }
        guard let envelope = SagaEnvelope.of(event), Catalogue.hotel(envelope.hotelId) != nil else {
            throw DomainRejection(HotelRejection.invalidEvent, "\(type) names no hotel of the catalogue")
        }
        var builder = Builder(state: state, hotelId: envelope.hotelId, now: now)
        let id = Hold.id(envelope.reservationId, envelope.attempt)
        switch type {
        case .reservationRequested, .upgradeRequested:
            guard state.holds[id] == nil else { return [] }
            guard let request = try? ReservationEvent(decoding: event.payload[...]), let stay = request.stay,
                let roomType = Catalogue.hotel(envelope.hotelId)?.roomType(stay.roomType), !stay.nights.isEmpty
            else {
                throw DomainRejection(HotelRejection.invalidEvent, "\(type) carries no valid stay")
            }
            let free = state.ledger(envelope.hotelId).free(for: stay, capacity: roomType.capacity)
            var e = HoldEvent(
                reservationId: envelope.reservationId, attempt: envelope.attempt, hotelId: envelope.hotelId, stay: stay)
            if free >= stay.rooms {
                e.expiresAt = now + Int64(clamping: request.holdTtlNanos)
                builder.add(.roomsHeld, e)
            } else {
                e.reason =
                    "\(free) of \(stay.rooms) \(stay.roomType) room(s) free for nights \(stay.checkIn)..<\(stay.checkOut)"
                builder.add(.roomsUnavailable, e)
            }
        case .paymentAuthorized:
            guard let hold = state.holds[id], hold.status == .held else { return [] }
            builder.add(.holdBooked, hold)
            for old in state.holds(of: envelope.reservationId)
            where old.attempt != hold.attempt && old.status == .booked {
                builder.add(.holdReleased, old, reason: "upgraded")
            }
        case .paymentDeclined:
            guard let hold = state.holds[id], hold.status == .held else { return [] }
            builder.add(.holdReleased, hold, reason: "paymentDeclined")
        case .reservationCancelled:
            for hold in state.holds(of: envelope.reservationId) where hold.status.takesRooms {
                builder.add(.holdReleased, hold, reason: "cancelled")
            }
        default:
            break
        }
        return builder.events
    }

    /// `HoldExpired` for every held hold whose expiry is at or before `now` (at most `maximumExpiriesPerTick`).
    public static func due(state: State, now: Int64) -> [DomainEvent] {
        var versions: [String: UInt64] = [:]
        var events: [DomainEvent] = []
        for expiry in state.expiries.prefix(maximumExpiriesPerTick) {
            guard expiry.at <= now else { break }
            guard let hold = state.holds[expiry.holdId], hold.status == .held else { continue }
            let version = (versions[hold.hotelId] ?? state.ledger(hold.hotelId).version) + 1
            versions[hold.hotelId] = version
            var e = HoldEvent(
                reservationId: hold.reservationId, attempt: hold.attempt, hotelId: hold.hotelId, stay: hold.stay)
            e.expiresAt = hold.expiresAt
            e.reason = "not booked within its time to live"
            e.version = version
            e.at = now
            events.append(e.event(.holdExpired))
        }
        return events
    }

    /// Own events by their stream key (the hotel id); reservations and payments events by their hotel id.
    public static func partitionKey(of event: DomainEvent) -> String {
        SagaEnvelope.partitionKey(of: event, own: HotelEventType.inventoryEvents, other: \.hotelId)
    }

    public static func encodeSnapshot(_ state: State) -> [UInt8] {
        var w = PayloadWriter()
        for id in state.hotels.keys.sorted() { w.message(1, state.hotels[id]!) }
        for id in state.holds.keys.sorted() { w.message(2, state.holds[id]!) }
        return w.bytes
    }

    public static func decodeSnapshot(_ bytes: ArraySlice<UInt8>) throws(WireError) -> State {
        var state = State()
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1:
                let ledger = try f.message(HotelLedger.self)
                state.hotels[ledger.hotelId] = ledger
            case 2:
                let hold = try f.message(Hold.self)
                state.holds[hold.id] = hold
                if hold.status == .held { state.expiries.append(.init(at: hold.expiresAt, holdId: hold.id)) }
            default: break
            }
        }
        state.expiries.sort()
        return state
    }

    /// Numbers the events one reaction emits for one hotel (versions continue from the ledger's).
    private struct Builder {
        let state: State
        let hotelId: String
        let now: Int64
        var events: [DomainEvent] = []

        init(state: State, hotelId: String, now: Int64) {
            self.state = state
            self.hotelId = hotelId
            self.now = now
        }

        mutating func add(_ type: HotelEventType, _ e: HoldEvent) {
            var e = e
            e.version = state.ledger(hotelId).version + UInt64(events.count) + 1
            e.at = now
            events.append(e.event(type))
        }

        mutating func add(_ type: HotelEventType, _ hold: Hold, reason: String = "") {
            var e = HoldEvent(
                reservationId: hold.reservationId, attempt: hold.attempt, hotelId: hold.hotelId, stay: hold.stay)
            e.reason = reason
            add(type, e)
        }
    }
}
