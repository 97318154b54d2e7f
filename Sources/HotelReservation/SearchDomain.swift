import MeshSaga
import MeshWire

/// The search read model's state: per hotel of the cities this instance owns, availability as inventory's events
/// made it, and how fresh it is.
public struct SearchState: Hashable, Sendable {
    public var views: [String: HotelView] = [:]
    /// Inventory events applied in total.
    public var appliedEvents: UInt64 = 0
    /// When the newest one was applied here, and how long after inventory decided it.
    public var lastAppliedAt: Int64 = 0
    public var lastDelayNanos: Int64 = 0

    public init() {}
}

/// The search service (CQRS read side, key: city): fed by every inventory event, answers "hotels in a city with
/// rooms free for these dates" for all hotels of the city whichever inventory partition owns them, and reports its
/// lag behind inventory. It decides nothing: its only event records an inventory event it applied.
public enum SearchDomain: HotelDomain {
    public typealias State = SearchState

    public static let serviceName = "search"

    public static let subscribedEventTypes: Set<UInt16> = Set(Array(HotelEventType.inventoryEvents))

    public static func initialState() -> State { State() }

    /// Applies the projected inventory event (once per hotel version: a repeat changes nothing).
    public static func apply(_ event: DomainEvent, timestamp: Int64, to state: inout State) throws(WireError) {
        guard event.type == HotelEventType.availabilityProjected.rawValue else {
            throw WireError(.invalidValue, "record type \(HotelEventType.name(of: event.type)) is not a search event")
        }
        let p = try AvailabilityProjected(decoding: event.payload[...])
        guard let type = HotelEventType(rawValue: p.sourceType), HotelEventType.inventoryEvents.contains(type) else {
            throw WireError(
                .invalidValue, "projected type \(HotelEventType.name(of: p.sourceType)) is not an inventory event")
        }
        let source = p.source
        var view = state.views[source.hotelId] ?? HotelView(hotelId: source.hotelId)
        guard !view.hasApplied(source.version) else { return }
        view.markApplied(source.version)
        if source.version == view.lastVersion { view.lastSourceAt = source.at }
        switch type {
        case .roomsHeld: view.add(source.stay, 1)
        case .holdReleased, .holdExpired: view.add(source.stay, -1)
        default: break
        }
        state.views[source.hotelId] = view
        state.appliedEvents += 1
        state.lastAppliedAt = timestamp
        state.lastDelayNanos = max(0, timestamp - source.at)
    }

    public static func react(to event: DomainEvent, state: State, now: Int64) throws(DomainRejection) -> [DomainEvent] {
        guard let type = HotelEventType(rawValue: event.type), HotelEventType.inventoryEvents.contains(type) else {
            throw DomainRejection(
                HotelRejection.invalidEvent, "search does not consume \(HotelEventType.name(of: event.type))")
        }
        guard let source = try? HoldEvent(decoding: event.payload[...]), let hotel = Catalogue.hotel(source.hotelId),
            source.version >= 1
        else {
            throw DomainRejection(HotelRejection.invalidEvent, "\(type) names no catalogue hotel or has no version")
        }
        if state.views[source.hotelId]?.hasApplied(source.version) == true { return [] }
        return [AvailabilityProjected(sourceType: event.type, source: source).event(city: hotel.city)]
    }

    public static func due(state: State, now: Int64) -> [DomainEvent] { [] }

    /// Every event by its hotel's city (own events carry it as their stream key).
    public static func partitionKey(of event: DomainEvent) -> String {
        if event.type == HotelEventType.availabilityProjected.rawValue { return event.streamKey }
        guard let hotelId = SagaEnvelope.of(event)?.hotelId else { return event.streamKey }
        return Catalogue.hotel(hotelId)?.city ?? hotelId
    }

    public static func encodeSnapshot(_ state: State) -> [UInt8] {
        var w = PayloadWriter()
        for id in state.views.keys.sorted() { w.message(1, state.views[id]!) }
        if state.appliedEvents != 0 { w.uint(2, state.appliedEvents) }
        if state.lastAppliedAt != 0 { w.int(3, state.lastAppliedAt) }
        if state.lastDelayNanos != 0 { w.int(4, state.lastDelayNanos) }
        return w.bytes
    }

    public static func decodeSnapshot(_ bytes: ArraySlice<UInt8>) throws(WireError) -> State {
        var state = State()
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1:
                let view = try f.message(HotelView.self)
                state.views[view.hotelId] = view
            case 2: state.appliedEvents = try f.uint()
            case 3: state.lastAppliedAt = try f.int()
            case 4: state.lastDelayNanos = try f.int()
            default: break
            }
        }
        return state
    }
}
