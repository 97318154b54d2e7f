import Foundation
import MeshCore
import MeshLog
import MeshNode
import MeshRPC
import MeshSaga
import MeshWire
import Synchronization
import Testing

/// A hold that expires: `Hold` records a deadline, and `due` releases every hold whose deadline passed.
enum ExpiringHolds: EventSourcedDomain {
    static let held: UInt16 = 1
    static let expired: UInt16 = 2
    typealias State = [String: Int64]  // hold → deadline (ns); removed once expired

    static let serviceName = "test-holds"
    static let subscribedEventTypes: Set<UInt16> = []
    static let hold = MethodDescriptor<TestKey, TestTotals>.command(service: serviceName, method: "Hold")
    static let holdCommand = HostedCommand<Self, TestKey, TestTotals>(hold, key: { $0.key }, decide: decideHold)
    static var methods: [HostedMethod<Self>] { [.command(holdCommand)] }

    /// Holds for 1 s from `now`.
    static func decideHold(
        _ request: TestKey, _ state: State, _ now: Int64
    ) throws(DomainRejection) -> (response: TestTotals, events: [DomainEvent]) {
        let deadline = now + 1_000_000_000
        var w = PayloadWriter()
        w.uint(1, UInt64(deadline))
        return (
            TestTotals(key: request.key, values: [deadline]),
            [DomainEvent(type: held, streamKey: request.key, payload: w.bytes)]
        )
    }

    static func initialState() -> State { [:] }

    static func apply(_ event: DomainEvent, timestamp: Int64, to state: inout State) throws(WireError) {
        switch event.type {
        case held:
            var r = PayloadReader(event.payload[...])
            while let f = try r.next() { if f.number == 1 { state[event.streamKey] = Int64(try f.uint()) } }
        case expired: state[event.streamKey] = nil
        default: throw WireError(.invalidValue, "type \(event.type)")
        }
    }

    static func react(to event: DomainEvent, state: State, now: Int64) throws(DomainRejection) -> [DomainEvent] { [] }

    static func due(state: State, now: Int64) -> [DomainEvent] {
        state.filter { $0.value <= now }.keys.sorted().map { DomainEvent(type: expired, streamKey: $0, payload: []) }
    }

    static func partitionKey(of event: DomainEvent) -> String { event.streamKey }

    static func encodeSnapshot(_ state: State) -> [UInt8] {
        var w = PayloadWriter()
        for (k, v) in state.sorted(by: { $0.key < $1.key }) {
            w.string(1, k)
            w.uint(2, UInt64(v))
        }
        return w.bytes
    }

    static func decodeSnapshot(_ bytes: ArraySlice<UInt8>) throws(WireError) -> State {
        var state: State = [:]
        var r = PayloadReader(bytes)
        var key = ""
        while let f = try r.next() {
            if f.number == 1 { key = try f.string() } else if f.number == 2 { state[key] = Int64(try f.uint()) }
        }
        return state
    }
}

@Suite("service host: due")
struct ServiceHostDueTests {
    @Test func timeAloneExpiresAHoldOnceAndTheExpiryIsDurable() async throws {
        let f = try HostFixture()
        defer { f.cleanUp() }
        let clock = ManualWallClock(1_000_000_000_000)
        var configuration = HostFixture.configuration()
        configuration.wallClock = { clock.read() }
        let host = try ServiceHost<ExpiringHolds>(
            instance: "test-holds-0", instances: 1, dataDirectory: f.dir, configuration: configuration,
            logger: HostFixture.quiet)
        try await f.running(host) { () async throws in
            let reply = try await host.run(ExpiringHolds.holdCommand, TestKey("h1"))
            #expect(reply.values == [1_001_000_000_000])
            _ = try await host.run(ExpiringHolds.holdCommand, TestKey("h2"))
            try await Task.sleep(for: .milliseconds(100))  // several due rounds before the deadline: nothing
            #expect(host.withState { $0.count } == 2)
            clock.advance(by: 2_000_000_000)
            #expect(await eventually { host.withState { $0.isEmpty } })
            try await Task.sleep(for: .milliseconds(100))  // more rounds after: nothing more
        }
        let records = try f.records(of: "test-holds")
        // Two holds, then one record with both expiries (one due round), nothing after.
        #expect(records.count == 3)
        let expiry = try EventBatch(decoding: records[2].payload[...])
        #expect(expiry.events.map(\.streamKey) == ["h1", "h2"])
        #expect(expiry.decidedAt == 1_002_000_000_000)
        let again = try ServiceHost<ExpiringHolds>(
            instance: "test-holds-0", instances: 1, dataDirectory: f.dir, configuration: configuration,
            logger: HostFixture.quiet)
        try again.open()
        #expect(again.withState { $0.isEmpty })
        again.stop()
    }
}

/// A wall clock a test moves by hand.
final class ManualWallClock: Sendable {
    let value: Atomic<Int64>
    init(_ start: Int64) { value = Atomic(start) }
    func read() -> Int64 { value.load(ordering: .relaxed) }
    func advance(by n: Int64) { value.add(n, ordering: .relaxed) }
}
