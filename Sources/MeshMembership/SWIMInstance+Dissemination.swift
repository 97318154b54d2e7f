import MeshCore

/// Merging gossip into the member table, refutation, gossip rounds, reconnecting and reaping.
extension SWIMInstance {
    mutating func merge(
        _ updates: [MemberUpdate], from address: String, now: MeshInstant, fromPushPull: Bool,
        into out: inout [SWIMDirective]
    ) {
        var learned = false
        for update in updates {
            if apply(update, from: address, now: now, fromPushPull: fromPushPull, into: &out) { learned = true }
        }
        if learned, let eager = config.eagerGossipDelay, nextGossipAt > now + eager { nextGossipAt = now + eager }
    }

    /// Applies one statement; true when it changed this node's view (and so was queued for gossip).
    private mutating func apply(
        _ update: MemberUpdate, from address: String, now: MeshInstant, fromPushPull: Bool,
        into out: inout [SWIMDirective]
    ) -> Bool {
        if update.name == myself.name { return applyAboutMyself(update, from: address, now: now, into: &out) }
        let accuser = update.source.isEmpty ? address : update.source
        if update.kind != .alive, !fromPushPull, let state = table[update.name], state.status.isReachable,
            update.incarnation < state.status.incarnation
        {
            // A stale accusation: tell its sender the newer truth. A node that heard the accusation after the
            // refutation had spread would otherwise keep it until its suspicion ran out (anti-entropy is slower).
            out.append(.send(.gossip([statement(for: state)]), to: address))
        }
        switch update.kind {
        case .alive:
            // First sight of a third party in bulk state is not news worth gossiping: the sender
            // already spreads it. The sender's own statement is (that is how a join spreads).
            let announce = !fromPushPull || update.metadata?.rpcAddress == address
            return applyAlive(update, from: address, now: now, announceNew: announce, into: &out)
        case .suspect:
            return applySuspect(update.name, incarnation: update.incarnation, accuser: accuser, now: now, into: &out)
        case .dead where fromPushPull:
            // As memberlist does: a death learned in bulk is only a suspicion, so the member can refute.
            return applySuspect(update.name, incarnation: update.incarnation, accuser: accuser, now: now, into: &out)
        case .dead, .left:
            return applyDead(update, now: now, into: &out)
        }
    }

    private mutating func applyAboutMyself(
        _ update: MemberUpdate, from address: String, now: MeshInstant, into out: inout [SWIMDirective]
    ) -> Bool {
        guard !isLeaving else { return false }
        if update.kind == .alive {
            if let key = update.metadata?.publicKey, !key.isEmpty, !myself.publicKey.isEmpty, key != myself.publicKey {
                out.append(
                    .event(
                        .rejected(
                            MembershipError(
                                .identityConflict, "another key claims this node's name \(myself.name)"), from: address)
                    ))
                return false
            }
            // A stale entry from before a restart: move past it so the current address wins.
            guard update.incarnation > incarnation || (update.incarnation == incarnation && update.metadata != myself)
            else { return false }
        } else {
            guard update.incarnation >= incarnation else {
                // A stale accusation still circulates: answer its sender with the current truth.
                out.append(.send(.gossip([.alive(myself, incarnation: incarnation)]), to: address))
                return false
            }
            adjustLocalHealth(1)
        }
        incarnation = update.incarnation + 1
        let alive = MemberUpdate.alive(myself, incarnation: incarnation)
        broadcasts.enqueue(alive)
        if update.kind != .alive { out.append(.send(.gossip([alive]), to: address)) }
        out.append(.event(.selfRefuted(incarnation: incarnation, accusation: update.kind)))
        return true
    }

    private mutating func applyAlive(
        _ update: MemberUpdate, from address: String, now: MeshInstant, announceNew: Bool,
        into out: inout [SWIMDirective]
    ) -> Bool {
        guard let metadata = update.metadata else { return false }
        func acceptable(_ out: inout [SWIMDirective]) -> Bool {
            do throws(MembershipError) {
                try metadata.validate(maxBytes: config.maxMetadataBytes)
                return true
            } catch {
                out.append(.event(.rejected(error, from: address)))
                return false
            }
        }
        guard let existing = table[update.name] else {
            guard acceptable(&out) else { return false }
            table[update.name] = MemberState(
                metadata: metadata, status: .alive(incarnation: update.incarnation),
                statusChangedAt: now)
            reachable.insert(update.name)
            addToProbeOrder(update.name)
            guard announceNew else {
                out.append(.event(.joined(metadata)))
                return false
            }
            broadcasts.enqueue(update)
            out.append(.event(.joined(metadata)))
            return true
        }
        if existing.status.isReachable, !existing.metadata.publicKey.isEmpty,
            metadata.publicKey != existing.metadata.publicKey
        {
            out.append(
                .event(
                    .rejected(
                        MembershipError(
                            .identityConflict, "a different key claims \(update.name), which a live member holds"),
                        from: address)))
            return false
        }
        guard update.incarnation > existing.status.incarnation, acceptable(&out) else { return false }
        table[update.name]?.metadata = metadata
        setStatus(update.name, .alive(incarnation: update.incarnation), now: now)
        broadcasts.enqueue(update)
        switch existing.status {
        case .alive:
            if metadata != existing.metadata { out.append(.event(.updated(metadata))) }
        case .suspect:
            out.append(.event(.refuted(name: update.name, incarnation: update.incarnation)))
            if metadata != existing.metadata { out.append(.event(.updated(metadata))) }
        case .dead, .left:
            addToProbeOrder(update.name)
            out.append(.event(.joined(metadata)))
        }
        return true
    }

    /// Starts or confirms a suspicion; true when the view changed.
    mutating func applySuspect(
        _ name: String, incarnation inc: UInt64, accuser: String, now: MeshInstant, into out: inout [SWIMDirective]
    ) -> Bool {
        guard let state = table[name], state.status.isReachable else { return false }
        guard inc >= state.status.incarnation else {
            verifySoon(name)
            return false
        }
        let update = MemberUpdate(kind: .suspect, name: name, incarnation: inc, source: accuser)
        if case .suspect(let current) = state.status, current == inc {
            guard suspicions[name]?.confirm(by: accuser) == true else { return false }
            scheduleSuspicion(name)
            broadcasts.enqueue(update)
            return true
        }
        setStatus(name, .suspect(incarnation: inc), now: now)
        let k = clusterSize - 2 < config.suspicionConfirmations ? 0 : config.suspicionConfirmations
        suspicions[name] = Suspicion(
            incarnation: inc, start: now, accuser: accuser,
            timeouts: config.suspicionTimeouts(clusterSize: clusterSize), required: k)
        scheduleSuspicion(name)
        broadcasts.enqueue(update)
        out.append(.event(.suspected(name: name, incarnation: inc, by: accuser)))
        if accuser != myself.name, probe?.target != name {
            let chance = config.confirmationProbeFactor * Double(max(k, 1)) / Double(clusterSize)
            if Double.random(in: 0..<1, using: &rng) < chance { priorityProbes.append(name) }
        }
        return true
    }

    /// Marks a member dead or left; true when the view changed.
    mutating func applyDead(_ update: MemberUpdate, now: MeshInstant, into out: inout [SWIMDirective]) -> Bool {
        guard let state = table[update.name], state.status.isReachable else { return false }
        guard update.incarnation >= state.status.incarnation else {
            verifySoon(update.name)
            return false
        }
        broadcasts.enqueue(update)
        if update.kind == .left {
            setStatus(update.name, .left(incarnation: update.incarnation), now: now)
            out.append(.event(.left(name: update.name)))
        } else {
            setStatus(update.name, .dead(incarnation: update.incarnation), now: now)
            out.append(.event(.died(name: update.name, incarnation: update.incarnation, declaredBy: update.source)))
        }
        return true
    }

    /// Someone holds an older accusation than our view: probe the member next, so that if it is
    /// really gone this node finds out itself instead of keeping (and pushing) a stale alive.
    private mutating func verifySoon(_ name: String) {
        guard priorityProbes.count < 4, !priorityProbes.contains(name), probe?.target != name else { return }
        priorityProbes.append(name)
    }

    mutating func gossipRound(into out: inout [SWIMDirective]) {
        guard !broadcasts.isEmpty else { return }
        for target in reachable.randomPick(config.gossipFanout, excluding: [], using: &rng) {
            guard let address = table[target]?.metadata.rpcAddress else { continue }
            let updates = takeGossip(for: target)
            guard !updates.isEmpty else { break }
            out.append(.send(.gossip(updates), to: address, peer: target))
        }
    }

    /// Pings one random dead member (not left ones); an ack leads to a digest offer (see `handleAck`).
    mutating func reconnectRound(into out: inout [SWIMDirective]) {
        guard !isLeaving, let lost = deadMembers.randomPick(1, excluding: [], using: &rng).first,
            let address = table[lost]?.metadata.rpcAddress
        else { return }
        sequence += 1
        reconnect = (sequence, lost)
        out.append(.send(.ping(sequence: sequence, target: lost, gossip: []), to: address, peer: lost))
    }

    /// Removes tombstones older than `deadRetention`, oldest first (a member revived or declared again
    /// since its entry was queued has a newer entry, so the old one is skipped).
    mutating func reap(now: MeshInstant, into out: inout [SWIMDirective]) {
        while tombstonesReaped < tombstones.count {
            let (name, since) = tombstones[tombstonesReaped]
            guard now - since >= config.deadRetention else { break }
            tombstonesReaped += 1
            guard let state = table[name], !state.status.isReachable, state.statusChangedAt == since else { continue }
            table[name] = nil
            deadMembers.remove(name)
            out.append(.event(.reaped(name: name)))
        }
        if tombstonesReaped > 256, tombstonesReaped * 2 > tombstones.count {
            tombstones.removeFirst(tombstonesReaped)
            tombstonesReaped = 0
        }
    }
}
