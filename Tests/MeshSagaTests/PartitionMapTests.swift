import MeshSaga
import Testing

@Suite("partition map")
struct PartitionMapTests {
    /// The vectors of proto-spec/partitions.md (the first three are FNV-1a 64's published test values).
    @Test func fnv1a64MatchesTheSpecVectors() {
        #expect(PartitionMap.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(PartitionMap.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(PartitionMap.fnv1a64("foobar") == 0x8594_4171_f739_67e8)
        #expect(PartitionMap.fnv1a64("hotel-42") == 0xd2e0_01be_c956_d13a)
        #expect(PartitionMap.fnv1a64("reservation-7f3a") == 0xd459_c6ec_5d22_ac89)
    }

    @Test func ownersFollowPartitionModuloInstances() throws {
        let two = try PartitionMap(service: "inventory", instances: 2)
        let three = try PartitionMap(service: "inventory", instances: 3)
        #expect(two.partition(of: "hotel-42") == 10)
        #expect(two.owner(of: "hotel-42") == "inventory-0")
        #expect(three.owner(of: "hotel-42") == "inventory-1")
        #expect(two.partition(of: "reservation-7f3a") == 9)
        #expect(two.owner(of: "reservation-7f3a") == "inventory-1")
        #expect(three.owner(of: "") == "inventory-2")
        #expect(two.partitions(ofInstance: 1) == [1, 3, 5, 7, 9, 11, 13, 15])
        // Every partition has exactly one owner, and the owners' partitions cover them all.
        let all = (0..<three.instances).flatMap { three.partitions(ofInstance: $0) }.sorted()
        #expect(all == Array(0..<16))
    }

    @Test func aKeyAlwaysHasTheSameOwner() throws {
        let map = try PartitionMap(service: "payments", partitions: 32, instances: 4)
        for n in 0..<500 {
            let key = "reservation-\(n)"
            let owner = map.owner(of: key)
            #expect(owner == map.owner(of: key))
            #expect(map.instanceIndex(named: owner) == map.instanceIndex(of: key))
        }
    }

    @Test func instanceNamesAreExact() throws {
        let map = try PartitionMap(service: "inventory", instances: 2)
        #expect(map.instanceIndex(named: "inventory-0") == 0)
        #expect(map.instanceIndex(named: "inventory-1") == 1)
        #expect(map.instanceIndex(named: "inventory-2") == nil)  // out of range
        #expect(map.instanceIndex(named: "inventory-01") == nil)  // leading zero
        #expect(map.instanceIndex(named: "inventory--1") == nil)
        #expect(map.instanceIndex(named: "inventory") == nil)
        #expect(map.instanceIndex(named: "payments-0") == nil)
        #expect(map.instanceNames == ["inventory-0", "inventory-1"])
    }

    @Test func unusableLayoutsAreRefused() {
        #expect(throws: DomainRejection.self) { try PartitionMap(service: "s", partitions: 4, instances: 5) }
        #expect(throws: DomainRejection.self) { try PartitionMap(service: "s", partitions: 0, instances: 1) }
        #expect(throws: DomainRejection.self) { try PartitionMap(service: "", instances: 1) }
    }

    @Test func anEventBatchRoundTripsWithItsDecisionTime() throws {
        let batch = EventBatch(
            events: [
                DomainEvent(type: 7, streamKey: "k", payload: [0xAA]), DomainEvent(type: 8, streamKey: "", payload: []),
            ], decidedAt: -5)
        #expect(
            batch.encoded() == [
                0x0A, 0x08, 0x08, 0x07, 0x12, 0x01, 0x6B, 0x1A, 0x01, 0xAA, 0x0A, 0x02, 0x08, 0x08,
                0x11, 0xFB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            ])
        #expect(try EventBatch(decoding: batch.encoded()[...]) == batch)
    }

    @Test func anInboxEntryKeepsItsDecisionTime() throws {
        let entry = InboxEntry(
            marker: EventID(origin: EventOrigin(node: "a-0", epoch: 9), sequence: 3),
            effects: [InboxEntry.Effect(type: 1, streamKey: "k", payload: [1])], decidedAt: 1_700_000_000)
        #expect(try InboxEntry(decoding: entry.encoded()[...]) == entry)
        let old = InboxEntry(marker: entry.marker, effects: entry.effects)
        #expect(try InboxEntry(decoding: old.encoded()[...]).decidedAt == 0)
    }

    @Test func appliedSequencesRestoreFromASavedForm() {
        var original = AppliedSequences()
        for s: UInt64 in [1, 2, 3, 7, 9] { original.insert(s) }
        let restored = AppliedSequences(highWater: original.highWater, above: original.above)
        #expect(restored == original)
        #expect(AppliedSequences(highWater: 2, above: [3, 5]).highWater == 3)
    }
}
