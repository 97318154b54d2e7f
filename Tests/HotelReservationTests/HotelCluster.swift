import HotelReservation
import MeshCore
import MeshRPC
import MeshSaga
import MeshWire
import Testing

/// One partition of a service: its state and its log (event, timestamp), appended and applied together.
final class Partition<D: HotelDomain> {
    var state = D.initialState()
    var log: [(event: DomainEvent, at: Int64)] = []

    func append(_ events: [DomainEvent], at: Int64) throws {
        for e in events {
            try D.apply(e, timestamp: at, to: &state)
            log.append((e, at))
        }
    }
}

/// A hosted service split over `count` partitions; a key's partition is FNV-1a(key) mod count.
final class ServiceGroup<D: HotelDomain> {
    let partitions: [Partition<D>]

    init(count: Int) { partitions = (0..<count).map { _ in Partition<D>() } }

    func partition(for key: String) -> Partition<D> {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 {
            h ^= UInt64(b)
            h &*= 0x100_0000_01b3
        }
        return partitions[Int(h % UInt64(partitions.count))]
    }

    /// All events of all partitions, in log order per partition.
    var events: [DomainEvent] { partitions.flatMap { $0.log.map(\.event) } }
}

/// Why a call failed in the cluster: the request was malformed or the domain refused it.
typealias CallFailure = DomainMethod<ReservationsDomain>.Failure

/// An in-memory cluster of the four hotel services with no I/O: events published by one partition travel to the
/// owner partition of every subscribing service as "deliveries" that the test hands over in any order, any number
/// of times (no inbox: the domains' own idempotency is what is tested). Time moves only when the test says.
final class HotelCluster {
    struct Delivery {
        var service: String
        var event: DomainEvent
    }

    var now: Int64 = 1_750_000_000_000_000_000
    let reservations: ServiceGroup<ReservationsDomain>
    let inventory: ServiceGroup<InventoryDomain>
    let payments: ServiceGroup<PaymentsDomain>
    let search: ServiceGroup<SearchDomain>
    var inFlight: [Delivery] = []
    /// Every delivery handed over, by service (to check that nothing subscribed was left undelivered).
    var delivered: [String: Int] = [:]
    var deadLetters: [(Delivery, DomainRejection)] = []

    init(partitions: Int = 2) {
        reservations = ServiceGroup(count: partitions)
        inventory = ServiceGroup(count: partitions)
        payments = ServiceGroup(count: partitions)
        search = ServiceGroup(count: partitions)
    }

    // MARK: calls

    /// Runs `descriptor` through the service's hosted methods (routing, request and response bytes), appending a
    /// command's events and publishing them.
    func call<D: HotelDomain, Request, Response>(
        _ group: ServiceGroup<D>, _ descriptor: MethodDescriptor<Request, Response>, _ request: Request
    ) throws -> Response {
        guard let method = D.domainMethods.first(where: { $0.method == descriptor.method }) else {
            throw DomainRejection("test", "no method \(descriptor.path)")
        }
        #expect(method.kind.rawValue == descriptor.kind.rawValue)
        let bytes = request.encoded()[...]
        switch try method.route(bytes) {
        case .key(let key):
            let p = group.partition(for: key)
            let outcome = try method.run(bytes, p.state, now)
            try p.append(outcome.events, at: now)
            publish(outcome.events)
            return try Response(decoding: outcome.response[...])
        case .everyPartition:
            preconditionFailure("use callEveryPartition for \(descriptor.path)")
        }
    }

    /// A scatter-gather query: every partition's answer.
    func callEveryPartition<D: HotelDomain, Request, Response>(
        _ group: ServiceGroup<D>, _ descriptor: MethodDescriptor<Request, Response>, _ request: Request
    ) throws -> [Response] {
        let method = D.domainMethods.first { $0.method == descriptor.method }!
        #expect(try method.route(request.encoded()[...]) == .everyPartition)
        return try group.partitions.map { p in
            try Response(decoding: try method.run(request.encoded()[...], p.state, now).response[...])
        }
    }

    /// The rejection code a call failed with (nil if it succeeded).
    func rejection<D: HotelDomain, Request, Response>(
        _ group: ServiceGroup<D>, _ descriptor: MethodDescriptor<Request, Response>, _ request: Request
    ) -> String? {
        do {
            _ = try call(group, descriptor, request)
            return nil
        } catch let f as DomainMethod<D>.Failure {
            if case .rejected(let r) = f { return r.code }
            return "malformed"
        } catch {
            return "\(error)"
        }
    }

    // MARK: events

    func publish(_ events: [DomainEvent]) {
        for e in events {
            if ReservationsDomain.subscribedEventTypes.contains(e.type) {
                inFlight.append(.init(service: "reservations", event: e))
            }
            if InventoryDomain.subscribedEventTypes.contains(e.type) {
                inFlight.append(.init(service: "inventory", event: e))
            }
            if PaymentsDomain.subscribedEventTypes.contains(e.type) {
                inFlight.append(.init(service: "payments", event: e))
            }
            if SearchDomain.subscribedEventTypes.contains(e.type) {
                inFlight.append(.init(service: "search", event: e))
            }
        }
    }

    /// Hands delivery `index` to its service's owner partition; `keep` leaves it in flight (a duplicate later).
    func deliver(at index: Int, keep: Bool = false) throws {
        let d = keep ? inFlight[index] : inFlight.remove(at: index)
        delivered[d.service, default: 0] += 1
        do {
            switch d.service {
            case "reservations": try handle(d.event, reservations)
            case "inventory": try handle(d.event, inventory)
            case "payments": try handle(d.event, payments)
            default: try handle(d.event, search)
            }
        } catch let r as DomainRejection {
            deadLetters.append((d, r))
        }
    }

    private func handle<D: HotelDomain>(_ event: DomainEvent, _ group: ServiceGroup<D>) throws {
        let p = group.partition(for: D.partitionKey(of: event))
        let out = try D.react(to: event, state: p.state, now: now)
        for e in out {
            #expect(group.partition(for: D.partitionKey(of: e)) === p, "\(D.serviceName) emitted a foreign key")
        }
        try p.append(out, at: now)
        publish(out)
    }

    /// Delivers everything in flight, first in first out, until nothing is left.
    func deliverAll() throws {
        while !inFlight.isEmpty { try deliver(at: 0) }
    }

    /// Runs every partition's `due` at the current time and publishes what it produced.
    @discardableResult
    func tick() throws -> Int {
        try tick(inventory) + tick(payments) + tick(reservations) + tick(search)
    }

    private func tick<D: HotelDomain>(_ group: ServiceGroup<D>) throws -> Int {
        var n = 0
        for p in group.partitions {
            let out = D.due(state: p.state, now: now)
            try p.append(out, at: now)
            publish(out)
            n += out.count
        }
        return n
    }

    func advance(millis: Int64) { now += millis * 1_000_000 }

    // MARK: reading state

    func reservation(_ id: String) -> Reservation? { reservations.partition(for: id).state.reservations[id] }
    func account(_ id: String) -> PaymentAccount? { payments.partition(for: id).state.accounts[id] }
    func ledger(_ hotelId: String) -> HotelLedger { inventory.partition(for: hotelId).state.ledger(hotelId) }
    func holds(_ r: Reservation) -> [Hold] { inventory.partition(for: r.hotelId).state.holds(of: r.id) }
    var allReservations: [Reservation] { reservations.partitions.flatMap { $0.state.reservations.values } }

    /// The types of the events of `service` for one reservation, in log order.
    func eventTypes<D: HotelDomain>(_ group: ServiceGroup<D>, of reservationId: String) -> [HotelEventType] {
        group.events.filter { SagaEnvelope(bytes: $0.payload)?.reservationId == reservationId }
            .compactMap { HotelEventType(rawValue: $0.type) }
    }
}

extension SagaEnvelope {
    init?(bytes: [UInt8]) { try? self.init(decoding: bytes[...]) }
}
