import Foundation
import MeshCore
import MeshLog
import MeshNode
import MeshRPC
import MeshSaga
import Testing

/// The host's fold, snapshots, command and inbox paths over real log files (no sockets).
@Suite("service host")
struct ServiceHostTests {
    typealias Counter = TestCounterDomain
    typealias Ledger = TestLedgerDomain

    @Test func commandsAreOneRecordEachAndARestartFoldsTheSameState() async throws {
        let f = try HostFixture()
        defer { f.cleanUp() }
        let host = try f.host(Counter.self, "test-counter-0")
        let before = try await f.running(host) {
            for n in 0..<50 {
                let reply = try await host.run(Counter.addCommand, addition("c\(n % 5)", Int64(n), "r\(n)"))
                #expect(reply.key == "c\(n % 5)")
            }
            return host.withState { $0 }
        }
        #expect(before["c1"]?.value == Int64((0..<50).filter { $0 % 5 == 1 }.reduce(0, +)))
        let records = try f.records(of: "test-counter")
        #expect(records.count == 50)
        #expect(records.allSatisfy { $0.type == EventBatch.recordType })
        let batch = try EventBatch(decoding: records[7].payload[...])
        #expect(batch.events.map(\.type) == [Counter.added])
        #expect(try TestAddition(decoding: batch.events[0].payload[...]) == addition("c2", 7, "r7"))

        let again = try f.host(Counter.self, "test-counter-0")
        let recovery = try again.open()
        defer { again.stop() }
        #expect(recovery.snapshotSequence == nil)
        #expect(recovery.recordsFolded == 50)
        #expect(again.withState { $0 } == before)
    }

    @Test func aSnapshotBoundsTheFoldAndADamagedOneIsSkipped() async throws {
        let f = try HostFixture()
        defer { f.cleanUp() }
        let host = try f.host(Counter.self, "test-counter-0", snapshotEvery: 20)
        let before = try await f.running(host) {
            for n in 0..<50 { _ = try await host.run(Counter.addCommand, addition("c\(n % 3)", 1, "r\(n)")) }
            // Automatic snapshots after 20 and 40 records (written by a background task).
            _ = await eventually {
                (try? FileManager.default.contentsOfDirectory(atPath: f.dir + "/test-counter/snapshots"))?.count == 2
            }
            return host.withState { $0 }
        }
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: f.dir + "/test-counter/snapshots").sorted()
        #expect(snapshots == ["00000000000000000020.snap", "00000000000000000040.snap"])

        let fromSnapshot = try f.host(Counter.self, "test-counter-0")
        let recovery = try fromSnapshot.open()
        #expect(recovery.snapshotSequence == 40)
        #expect(recovery.recordsFolded == 10)
        #expect(fromSnapshot.withState { $0 } == before)
        fromSnapshot.stop()

        // Flip one byte of the newest snapshot: it fails its checksum and the older one is used.
        let newest = f.dir + "/test-counter/snapshots/" + snapshots[1]
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: newest)))
        bytes[50] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: newest))
        let fromOlder = try f.host(Counter.self, "test-counter-0")
        let olderRecovery = try fromOlder.open()
        #expect(olderRecovery.snapshotSequence == 20)
        #expect(olderRecovery.recordsFolded == 30)
        #expect(fromOlder.withState { $0 } == before)
        fromOlder.stop()

        // Without snapshots the full fold gives the same state.
        try FileManager.default.removeItem(atPath: f.dir + "/test-counter/snapshots")
        let fromScratch = try f.host(Counter.self, "test-counter-0")
        #expect(try fromScratch.open().recordsFolded == 50)
        #expect(fromScratch.withState { $0 } == before)
        fromScratch.stop()
    }

    @Test func aRepeatedOrRejectedCommandAppendsNothing() async throws {
        let f = try HostFixture()
        defer { f.cleanUp() }
        let host = try f.host(Counter.self, "test-counter-0")
        try await f.running(host) {
            let first = try await host.run(Counter.addCommand, addition("c", 5, "same"))
            let second = try await host.run(Counter.addCommand, addition("c", 5, "same"))
            #expect(first == second)
            #expect(first.values == [5, 1, 0, 0])
            let error = await #expect(throws: RPCError.self) {
                _ = try await host.run(Counter.addCommand, addition("c", 6, "same"))
            }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message.hasPrefix("conflict: ") == true)
            #expect(try await host.run(Counter.getQuery, TestKey("c")).values == [5, 1, 0, 0])
        }
        #expect(try f.records(of: "test-counter").count == 1)
    }

    @Test func aKeyOfAnotherInstanceIsRefusedNotHandled() async throws {
        let f = try HostFixture()
        defer { f.cleanUp() }
        let host = try f.host(Counter.self, "test-counter-0", instances: 2)
        // "c1" is in partition 9 of 16: instance 9 mod 2 = 1.
        #expect(host.map.owner(of: "c1") == "test-counter-1")
        try await f.running(host) {
            let error = await #expect(throws: RPCError.self) {
                _ = try await host.run(Counter.addCommand, addition("c1", 1, "r"))
            }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message.contains("belongs to test-counter-1") == true)
            _ = try await host.run(Counter.addCommand, addition("c2", 1, "r"))  // partition 0: ours
        }
        #expect(try f.records(of: "test-counter").count == 1)
    }

    @Test func aNodeNameThatIsNoInstanceIsRefusedAtStart() throws {
        let error = #expect(throws: HostError.self) {
            _ = try HostedServices.builtIn.makeHosts(
                ["test-counter:2"], node: "node-1", dataDirectory: "/tmp/unused", logger: HostFixture.quiet)
        }
        #expect(error?.code == .invalidInstance)
        #expect(error?.message.contains("test-counter-0, test-counter-1") == true)
        #expect(throws: HostError.self) {
            _ = try HostedServices.builtIn.makeHosts(
                ["test-counter-2:2"], node: "node-1", dataDirectory: "/tmp/unused", logger: HostFixture.quiet)
        }
        let unknown = #expect(throws: HostError.self) {
            _ = try HostedServices.builtIn.makeHosts(
                ["inventory"], node: "inventory-0", dataDirectory: "/tmp/unused", logger: HostFixture.quiet)
        }
        #expect(unknown?.code == .unknownService)
        let placement = try HostedServices.builtIn.placement("test-ledger-1:3/8", node: "node-1")
        #expect(placement.service == "test-ledger" && placement.instance == "test-ledger-1")
        #expect(placement.instances == 3 && placement.partitions == 8)
        #expect(try HostedServices.builtIn.placement("test-ledger", node: "test-ledger-0").instance == "test-ledger-0")
    }

    @Test func aDeliveredEventIsAppliedOnceWithItsMarkerAndEffectsInOneRecord() async throws {
        let f = try HostFixture()
        defer { f.cleanUp() }
        let origin = EventOrigin(node: "test-counter-0", epoch: 5)
        @Sendable func delivered(_ sequence: UInt64, _ events: [DomainEvent]) -> DeliveredEvent {
            if events.count == 1 {
                return DeliveredEvent(
                    id: EventID(origin: origin, sequence: sequence), type: events[0].type,
                    streamKey: events[0].streamKey, payload: events[0].payload)
            }
            return DeliveredEvent(
                id: EventID(origin: origin, sequence: sequence), type: EventBatch.recordType, streamKey: "a",
                payload: EventBatch(events: events, decidedAt: 1).encoded())
        }
        @Sendable func added(_ amount: Int64, _ id: String) -> DomainEvent {
            DomainEvent(type: Counter.added, streamKey: "a", payload: addition("a", amount, id).encoded())
        }
        let host = try f.host(Ledger.self, "test-ledger-0")
        try await f.running(host) { () async throws in
            let one = DeliverRequest(events: [delivered(1, [added(60, "x")])])
            #expect(try await host.receive(one).outcomes == [.applied])
            #expect(try await host.receive(one).outcomes == [.duplicate])
            // One record carrying two events: both reactions (against the state before them) in one entry.
            let two = DeliverRequest(events: [delivered(2, [added(30, "y"), added(30, "z")])])
            #expect(try await host.receive(two).outcomes == [.applied])
            #expect(try await host.run(Ledger.getQuery, TestKey("a")).values == [120, 3, 0, 0])
        }
        let records = try f.records(of: "test-ledger")
        #expect(records.count == 2)
        #expect(records.allSatisfy { $0.type == InboxEntry.recordType })
        let entry = try InboxEntry(decoding: records[1].payload[...])
        #expect(entry.marker == EventID(origin: origin, sequence: 2))
        #expect(entry.effects.map(\.type) == [Ledger.booked, Ledger.booked])
        #expect(entry.decidedAt > 0)

        // After a restart (from a snapshot, then from the log alone) the marker still answers duplicate.
        let again = try f.host(Ledger.self, "test-ledger-0")
        try await f.running(again) { () async throws in
            #expect(try await again.snapshot() == 2)
            let replay = DeliverRequest(events: [delivered(2, [added(30, "y"), added(30, "z")])])
            #expect(try await again.receive(replay).outcomes == [.duplicate])
            let three = DeliverRequest(events: [delivered(3, [added(1, "w")])])
            #expect(try await again.receive(three).outcomes == [.applied])  // 121 > 100: refused
            #expect(try await again.run(Ledger.getQuery, TestKey("a")).values == [120, 3, 1, 0])
        }
        let third = try f.host(Ledger.self, "test-ledger-0")
        let recovery = try third.open()
        #expect(recovery.snapshotSequence == 2)
        #expect(recovery.recordsFolded == 1)
        #expect(third.ledger.highWater(of: origin) == 3)
        third.stop()
    }
}
