import MeshCore
import MeshLog
import MeshNode
import MeshSaga
import NIOPosix
import Synchronization
import Testing

@Suite("Idempotent inbox over the consumer's log")
struct OutboxInboxTests {
    let origin = EventOrigin(node: "producer-1", epoch: 0xE1)

    func delivered(_ sequence: UInt64, origin: EventOrigin? = nil) -> DeliveredEvent {
        DeliveredEvent(
            id: EventID(origin: origin ?? self.origin, sequence: sequence), type: 1, streamKey: "order/1",
            payload: [UInt8(sequence)]
        )
    }

    static func effectHandler(_ seen: Seen) -> Inbox.Handler {
        { event in
            seen.add(event)
            return .apply(effects: [InboxEntry.Effect(type: 50, streamKey: "stock/1", payload: event.payload)])
        }
    }

    func inboxEntries(_ log: EventLog) throws -> [InboxEntry] {
        try log.read(from: 1, limit: 1000).filter { $0.type == InboxEntry.recordType }
            .map { try InboxEntry(decoding: $0.payload) }
    }

    @Test func duplicateRedeliveryHasNoSecondEffect() async throws {
        try await withFixture { fx in
            let log = try fx.openLog("consumer")
            let seen = Seen()
            let inbox = try Inbox(log: log, handler: Self.effectHandler(seen))
            #expect(try await inbox.receive(delivered(1)) == .applied)
            #expect(try await inbox.receive(delivered(1)) == .duplicate)
            let batch = try await inbox.receive(DeliverRequest(events: [delivered(1), delivered(2), delivered(2)]))
            #expect(batch.outcomes == [.duplicate, .applied, .duplicate])
            #expect(seen.all.map(\.id.sequence) == [1, 2])
            let entries = try inboxEntries(log)
            #expect(entries.map(\.marker.sequence) == [1, 2])
            #expect(entries[0].effects == [InboxEntry.Effect(type: 50, streamKey: "stock/1", payload: [1])])
            log.close()
        }
    }

    @Test func aNewEpochStartsAgainAtSequenceOne() async throws {
        try await withFixture { fx in
            let log = try fx.openLog("consumer")
            let seen = Seen()
            let inbox = try Inbox(log: log, handler: Self.effectHandler(seen))
            #expect(try await inbox.receive(delivered(1)) == .applied)
            let recreated = EventOrigin(node: "producer-1", epoch: 0xE2)
            #expect(try await inbox.receive(delivered(1, origin: recreated)) == .applied)
            #expect(try await inbox.receive(delivered(1, origin: recreated)) == .duplicate)
            #expect(seen.all.count == 2)
            log.close()
        }
    }

    @Test func crashBetweenAppendAndAckMakesTheRedeliveryADuplicate() async throws {
        try await withFixture { fx in
            let seen = Seen()
            do {
                let log = try fx.openLog("consumer")
                let inbox = try Inbox(log: log, handler: Self.effectHandler(seen))
                // The entry is durable, but the acknowledgement never reaches the producer.
                _ = try await inbox.receive(delivered(7))
                log.close()
            }
            let log = try fx.openLog("consumer")
            let inbox = try Inbox(log: log, handler: Self.effectHandler(seen))
            #expect(await inbox.applied.highWater(of: origin) == 0)
            #expect(await inbox.applied.decide(EventID(origin: origin, sequence: 7)) == .duplicate)
            #expect(try await inbox.receive(delivered(7)) == .duplicate)
            #expect(seen.all.count == 1)
            #expect(try inboxEntries(log).count == 1)
            log.close()
        }
    }

    @Test func aRejectedEventLeavesNoMarkerAndNoEffect() async throws {
        try await withFixture { fx in
            let log = try fx.openLog("consumer")
            let inbox = try Inbox(log: log) { _ in .reject(reason: "amount must be positive") }
            #expect(try await inbox.receive(delivered(1)) == .rejected(reason: "amount must be positive"))
            #expect(try inboxEntries(log).isEmpty)
            log.close()
        }
    }
}

/// Runs `body` with a fixture on a fresh event loop group, cleaning up afterwards.
func withFixture(_ body: (OutboxFixture) async throws -> Void) async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let fx = try OutboxFixture(group: group)
    do {
        try await body(fx)
    } catch {
        fx.cleanUp()
        try? await group.shutdownGracefully()
        throw error
    }
    fx.cleanUp()
    try await group.shutdownGracefully()
}
