import MeshRPC
import MeshSaga
import MeshWire

/// Test service `test-counter` (key: counter): `Add` adds an amount once per request id (`Added`), `Get` reads
/// it. When `test-ledger` refuses an addition (`Refused`), the counter compensates it (`Compensated`; only the
/// host's inbox deduplicates, so a duplicate reaction would show in the totals).
/// Not a product service: it proves the host (tests, and `meshnode run --services test-counter`).
public enum TestCounterDomain: EventSourcedDomain {
    public static let added: UInt16 = 0x7001
    public static let compensated: UInt16 = 0x7002

    public struct Counter: Hashable, Sendable {
        public var value: Int64 = 0
        /// Request id → amount, for every addition.
        public var additions: [String: Int64] = [:]
        /// Compensations applied (not deduplicated by the domain: only the host's inbox dedupes).
        public var compensationCount: Int64 = 0
    }

    public typealias State = [String: Counter]

    public static let serviceName = "test-counter"
    public static let subscribedEventTypes: Set<UInt16> = [TestLedgerDomain.refused]

    public static let add = MethodDescriptor<TestAddition, TestTotals>.command(service: serviceName, method: "Add")
    public static let get = MethodDescriptor<TestKey, TestTotals>.query(service: serviceName, method: "Get")

    public static var methods: [HostedMethod<Self>] { [.command(addCommand), .query(getQuery)] }

    public static let addCommand = HostedCommand<Self, TestAddition, TestTotals>(
        add, key: { $0.counter }, decide: decideAdd)
    public static let getQuery = HostedQuery<Self, TestKey, TestTotals>(get, key: { $0.key }, answer: answerGet)

    /// `Add`: once per request id (the same id again answers the same; another amount is a conflict).
    static func decideAdd(
        _ request: TestAddition, _ state: State, _ now: Int64
    ) throws(DomainRejection) -> (response: TestTotals, events: [DomainEvent]) {
        let counter = state[request.counter] ?? Counter()
        if let known = counter.additions[request.requestID] {
            guard known == request.amount else {
                throw DomainRejection("conflict", "request \(request.requestID) added \(known) already")
            }
            return (totals(request.counter, counter), [])
        }
        var after = counter
        after.value += request.amount
        after.additions[request.requestID] = request.amount
        let event = DomainEvent(type: added, streamKey: request.counter, payload: request.encoded())
        return (totals(request.counter, after), [event])
    }

    static func answerGet(_ request: TestKey, _ state: State, _ now: Int64) -> TestTotals {
        totals(request.key, state[request.key])
    }

    static func totals(_ key: String, _ counter: Counter?) -> TestTotals {
        let c = counter ?? Counter()
        return TestTotals(key: key, values: [c.value, Int64(c.additions.count), c.compensationCount, 0])
    }

    public static func initialState() -> State { [:] }

    public static func apply(_ event: DomainEvent, timestamp: Int64, to state: inout State) throws(WireError) {
        let addition = try TestAddition(decoding: event.payload[...])
        switch event.type {
        case added:
            state[addition.counter, default: Counter()].value += addition.amount
            state[addition.counter, default: Counter()].additions[addition.requestID] = addition.amount
        case compensated:
            state[addition.counter, default: Counter()].value -= addition.amount
            state[addition.counter, default: Counter()].compensationCount += 1
        default:
            throw WireError(.invalidValue, "test-counter has no event type \(event.type)")
        }
    }

    public static func react(to event: DomainEvent, state: State, now: Int64) throws(DomainRejection) -> [DomainEvent] {
        guard event.type == TestLedgerDomain.refused else { return [] }
        let addition: TestAddition
        do { addition = try TestAddition(decoding: event.payload[...]) } catch {
            throw DomainRejection("invalidEvent", "\(error)")
        }
        return [DomainEvent(type: compensated, streamKey: addition.counter, payload: event.payload)]
    }

    public static func due(state: State, now: Int64) -> [DomainEvent] { [] }

    public static func partitionKey(of event: DomainEvent) -> String {
        (try? TestAddition(decoding: event.payload[...]).counter) ?? event.streamKey
    }

    /// `repeated 1: {1: counter, 2: value, 3: repeated {1: request id, 2: amount}, 4: compensations}`.
    public static func encodeSnapshot(_ state: State) -> [UInt8] {
        var w = PayloadWriter(capacity: state.count * 48)
        for (key, c) in state {
            w.message(1) { m in
                m.string(1, key)
                m.uint(2, UInt64(bitPattern: c.value))
                for (id, amount) in c.additions {
                    m.message(3) { a in
                        a.string(1, id)
                        a.uint(2, UInt64(bitPattern: amount))
                    }
                }
                m.uint(4, UInt64(bitPattern: c.compensationCount))
            }
        }
        return w.bytes
    }

    public static func decodeSnapshot(_ bytes: ArraySlice<UInt8>) throws(WireError) -> State {
        var state: State = [:]
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            guard f.number == 1 else { continue }
            var m = PayloadReader(try f.bytes())
            var key = ""
            var c = Counter()
            while let g = try m.next() {
                switch g.number {
                case 1: key = try g.string()
                case 2: c.value = Int64(bitPattern: try g.uint())
                case 3:
                    var a = PayloadReader(try g.bytes())
                    var id = ""
                    var amount: Int64 = 0
                    while let h = try a.next() {
                        if h.number == 1 {
                            id = try h.string()
                        } else if h.number == 2 {
                            amount = Int64(bitPattern: try h.uint())
                        }
                    }
                    c.additions[id] = amount
                case 4: c.compensationCount = Int64(bitPattern: try g.uint())
                default: break
                }
            }
            state[key] = c
        }
        return state
    }
}
