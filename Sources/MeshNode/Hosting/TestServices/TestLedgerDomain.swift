import MeshRPC
import MeshSaga
import MeshWire

/// Test service `test-ledger` (key: account = counter): books each `test-counter` addition once (`Booked`) while
/// the account stays within `limit` and the amount is positive, and refuses it otherwise (`Refused`, which the
/// counter compensates). `Get` reads an account. Not a product service: it proves the host. It deliberately does
/// not deduplicate by request id itself: only the host's inbox does, so a duplicate reaction would show in the totals.
public enum TestLedgerDomain: EventSourcedDomain {
    public static let booked: UInt16 = 0x7101
    public static let refused: UInt16 = 0x7102
    public static let limit: Int64 = 100

    public struct Account: Hashable, Sendable {
        public var booked: Int64 = 0
        public var bookedCount: Int64 = 0
        public var refusedCount: Int64 = 0
    }

    public typealias State = [String: Account]

    public static let serviceName = "test-ledger"
    public static let subscribedEventTypes: Set<UInt16> = [TestCounterDomain.added]

    public static let get = MethodDescriptor<TestKey, TestTotals>.query(service: serviceName, method: "Get")

    public static var methods: [HostedMethod<Self>] { [.query(getQuery)] }

    public static let getQuery = HostedQuery<Self, TestKey, TestTotals>(get, key: { $0.key }, answer: answerGet)

    static func answerGet(_ request: TestKey, _ state: State, _ now: Int64) -> TestTotals {
        let a = state[request.key] ?? Account()
        return TestTotals(key: request.key, values: [a.booked, a.bookedCount, a.refusedCount, 0])
    }

    public static func initialState() -> State { [:] }

    public static func apply(_ event: DomainEvent, timestamp: Int64, to state: inout State) throws(WireError) {
        let addition = try TestAddition(decoding: event.payload[...])
        switch event.type {
        case booked:
            state[addition.counter, default: Account()].booked += addition.amount
            state[addition.counter, default: Account()].bookedCount += 1
        case refused:
            state[addition.counter, default: Account()].refusedCount += 1
        default:
            throw WireError(.invalidValue, "test-ledger has no event type \(event.type)")
        }
    }

    public static func react(to event: DomainEvent, state: State, now: Int64) throws(DomainRejection) -> [DomainEvent] {
        guard event.type == TestCounterDomain.added else { return [] }
        let addition: TestAddition
        do { addition = try TestAddition(decoding: event.payload[...]) } catch {
            throw DomainRejection("invalidEvent", "\(error)")
        }
        let account = state[addition.counter] ?? Account()
        let fits = addition.amount > 0 && account.booked + addition.amount <= limit
        return [DomainEvent(type: fits ? booked : refused, streamKey: addition.counter, payload: event.payload)]
    }

    public static func due(state: State, now: Int64) -> [DomainEvent] { [] }

    public static func partitionKey(of event: DomainEvent) -> String {
        (try? TestAddition(decoding: event.payload[...]).counter) ?? event.streamKey
    }

    /// `repeated 1: {1: account, 2: booked, 3: booked count, 4: refused count}`.
    public static func encodeSnapshot(_ state: State) -> [UInt8] {
        var w = PayloadWriter(capacity: state.count * 48)
        for (key, a) in state {
            w.message(1) { m in
                m.string(1, key)
                m.uint(2, UInt64(bitPattern: a.booked))
                m.uint(3, UInt64(bitPattern: a.bookedCount))
                m.uint(4, UInt64(bitPattern: a.refusedCount))
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
            var a = Account()
            while let g = try m.next() {
                switch g.number {
                case 1: key = try g.string()
                case 2: a.booked = Int64(bitPattern: try g.uint())
                case 3: a.bookedCount = Int64(bitPattern: try g.uint())
                case 4: a.refusedCount = Int64(bitPattern: try g.uint())
                default: break
                }
            }
            state[key] = a
        }
        return state
    }
}
