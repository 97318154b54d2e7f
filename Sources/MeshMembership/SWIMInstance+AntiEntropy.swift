import MeshCore

/// Digest anti-entropy: nodes compare `StateDigest`s and exchange only the members of buckets that
/// differ, so a round costs a few bytes while views agree; offers to seeds re-merge forgotten halves.
///
/// Exchange: A sends `syncOffer(root)`. B, if its root differs, answers `syncOffer(64 buckets)`. A
/// answers a full offer with `syncBuckets(mask of differing buckets, its entries of them)`; B merges
/// and answers `syncEntries(its entries of those buckets)`. Every message stays within `syncBudget`;
/// whole buckets are sent from a random starting bucket, so a truncated exchange continues next round.
extension SWIMInstance {
    /// This node's digest: itself (unless leaving) and every member it holds alive or suspect.
    public var digest: StateDigest {
        var digest = StateDigest()
        if !isLeaving { digest.add(name: myself.name, incarnation: incarnation) }
        for name in reachable.names {
            if let state = table[name] { digest.add(name: name, incarnation: state.status.incarnation) }
        }
        return digest
    }

    /// Bytes left for statements in one sync message (the envelope and a full digest take the rest).
    var syncBudget: Int { config.maxPacketBytes - 8 * StateDigest.bucketCount - 64 }

    /// This node's statement about itself.
    var ownStatement: MemberUpdate {
        isLeaving
            ? MemberUpdate(kind: .left, name: myself.name, incarnation: incarnation)
            : .alive(myself, incarnation: incarnation)
    }

    /// The statement anti-entropy sends for a member: alive with metadata (also for a suspect, so a
    /// receiver that never heard of it can add it), dead or left.
    func statement(for state: MemberState) -> MemberUpdate {
        switch state.status {
        case .alive(let i), .suspect(let i): .alive(state.metadata, incarnation: i)
        case .dead(let i): MemberUpdate(kind: .dead, name: state.name, incarnation: i, source: myself.name)
        case .left(let i): MemberUpdate(kind: .left, name: state.name, incarnation: i)
        }
    }

    /// This node's statements for the buckets in `mask` (tombstones included: that is how a death reaches a
    /// node that missed it), whole buckets only, from a random starting
    /// bucket until `budget` bytes are used; also the mask of the buckets included.
    mutating func statements(inBuckets mask: UInt64, budget: Int) -> (entries: [MemberUpdate], mask: UInt64) {
        var grouped = [[MemberUpdate]](repeating: [], count: StateDigest.bucketCount)
        func include(_ update: MemberUpdate) {
            let bucket = StateDigest.bucket(of: update.name)
            if mask & (1 << UInt64(bucket)) != 0 { grouped[bucket].append(update) }
        }
        include(ownStatement)
        for state in table.values { include(statement(for: state)) }
        let start = Int.random(in: 0..<StateDigest.bucketCount, using: &rng)
        var entries: [MemberUpdate] = []
        var used = 0
        var included: UInt64 = 0
        for k in 0..<StateDigest.bucketCount {
            let bucket = (start + k) % StateDigest.bucketCount
            guard mask & (1 << UInt64(bucket)) != 0 else { continue }
            // Key + length prefix of a nested field: at most 4 bytes below 2 MiB.
            let size = grouped[bucket].reduce(0) { $0 + $1.encoded().count + 4 }
            guard used + size <= budget else { continue }
            used += size
            entries += grouped[bucket].sorted { $0.name < $1.name }
            included |= 1 << UInt64(bucket)
        }
        return (entries, included)
    }

    /// Answers an offer: a differing root with the full digest, a full digest with the differing buckets.
    mutating func answerOffer(_ values: [UInt64], from address: String, into out: inout [SWIMDirective]) {
        let mine = digest
        if values.count == 1 {
            if values[0] != mine.root {
                out.append(.send(.syncOffer(digest: mine.buckets, gossip: []), to: address))
            }
            return
        }
        guard let theirs = StateDigest(buckets: values) else { return }
        let differing = mine.differingBuckets(from: theirs)
        guard !differing.isEmpty else { return }
        let mask = differing.reduce(UInt64(0)) { $0 | 1 << UInt64($1) }
        let (entries, included) = statements(inBuckets: mask, budget: syncBudget)
        guard included != 0 else { return }
        out.append(.send(.syncBuckets(mask: included, entries: entries), to: address))
    }

    /// While alone: a full offer carrying this node's statement to every seed, every two probe intervals.
    /// Otherwise: a root offer to one random live member every `antiEntropyInterval`.
    mutating func antiEntropyRound(now: MeshInstant, into out: inout [SWIMDirective]) {
        if reachable.isEmpty, !isLeaving {
            nextAntiEntropyAt = now + config.probeInterval * Int64(2)
            let offer = SWIMMessage.syncOffer(digest: digest.buckets, gossip: [ownStatement])
            for seed in seeds { out.append(.send(offer, to: seed)) }
            return
        }
        nextAntiEntropyAt = now + config.antiEntropyInterval
        guard let peer = reachable.randomPick(1, excluding: [], using: &rng).first,
            let address = table[peer]?.metadata.rpcAddress
        else { return }
        out.append(.send(.syncOffer(digest: [digest.root], gossip: takeGossip(for: peer)), to: address, peer: peer))
    }

    /// A root offer to one random seed (while not alone; alone, `antiEntropyRound` contacts them all).
    mutating func seedSyncRound(into out: inout [SWIMDirective]) {
        guard !reachable.isEmpty, !isLeaving, let seed = seeds.randomElement(using: &rng) else { return }
        out.append(.send(.syncOffer(digest: [digest.root], gossip: []), to: seed))
    }

    /// Replaces the seed addresses (the shell resolves seed names again now and then). This node's own
    /// address is left out.
    public mutating func updateSeeds(_ addresses: [String]) {
        seeds = addresses.filter { $0 != myself.rpcAddress }
    }
}
