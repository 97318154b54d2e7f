import MeshCore
import MeshSaga
import Testing

@Suite("Settling a delivered batch")
struct BatchSettlementTests {
    let origin = EventOrigin(node: "p", epoch: 1)

    func events(_ sequences: [UInt64]) -> [DeliveredEvent] {
        sequences.map {
            DeliveredEvent(id: EventID(origin: origin, sequence: $0), type: 3, streamKey: "s/\($0)", payload: [])
        }
    }

    @Test func rejectedEventsBecomeDeadLettersAndTheRestAreAcknowledged() throws {
        let settled = try #require(
            BatchSettlement(
                subscriber: "billing", events: events([4, 5, 9]),
                outcomes: [.applied, .rejected(reason: "bad"), .duplicate]
            )
        )
        #expect(settled.acknowledged == [4, 9])
        #expect(
            settled.deadLetters == [
                DeadLetter(subscriber: "billing", sequence: 5, type: 3, streamKey: "s/5", reason: "bad")
            ]
        )
    }

    @Test func aWrongNumberOfOutcomesSettlesNothing() {
        #expect(BatchSettlement(subscriber: "b", events: events([1, 2]), outcomes: [.applied]) == nil)
        #expect(BatchSettlement(subscriber: "b", events: events([1]), outcomes: [.applied, .applied]) == nil)
    }
}
