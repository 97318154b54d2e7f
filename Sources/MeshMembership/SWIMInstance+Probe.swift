import MeshCore

/// Failure detection: one probe per protocol period, in randomized round-robin order, with an
/// indirect round through k members after the direct timeout, and Lifeguard's local health.
extension SWIMInstance {
    mutating func advanceProbe(now: MeshInstant, into out: inout [SWIMDirective]) {
        if var current = probe {
            if !current.indirectSent, now >= current.timeoutAt {
                current.indirectSent = true
                lastExpiredProbe = (current.sequence, current.sentAt)
                if let address = table[current.target]?.metadata.rpcAddress {
                    let helpers = reachable.randomPick(config.indirectProbes, excluding: [current.target], using: &rng)
                    current.expectedNacks = helpers.count
                    for helper in helpers {
                        guard let helperAddress = table[helper]?.metadata.rpcAddress else { continue }
                        let request = SWIMMessage.pingRequest(
                            sequence: current.sequence, target: current.target, targetAddress: address,
                            gossip: takeGossip(for: nil))
                        out.append(.send(request, to: helperAddress, peer: helper))
                    }
                }
                probe = current
            }
            if now >= current.periodEnd {
                probe = nil
                probeFailed(current, now: now, into: &out)
            }
        }
        if probe == nil, !isLeaving, now >= nextProbeAt { startProbe(now: now, into: &out) }
    }

    private mutating func nextProbeTarget() -> String? {
        while !priorityProbes.isEmpty {
            let candidate = priorityProbes.removeFirst()
            if reachable.contains(candidate) { return candidate }
        }
        var reshuffled = false
        while true {
            if probeIndex >= probeOrder.count {
                guard !reshuffled, !reachable.isEmpty else { return nil }
                reshuffled = true
                probeOrder = reachable.names.shuffled(using: &rng)
                probeIndex = 0
            }
            let candidate = probeOrder[probeIndex]
            probeIndex += 1
            if reachable.contains(candidate) { return candidate }
        }
    }

    private mutating func startProbe(now: MeshInstant, into out: inout [SWIMDirective]) {
        guard let target = nextProbeTarget(), let address = table[target]?.metadata.rpcAddress else {
            nextProbeAt = now + config.probeInterval
            return
        }
        sequence += 1
        let period = probePeriod
        probe = ProbeState(
            target: target, sequence: sequence, sentAt: now, timeoutAt: now + probeTimeout, periodEnd: now + period)
        nextProbeAt = now + period
        out.append(
            .send(
                .ping(sequence: sequence, target: target, gossip: takeGossip(for: target)), to: address,
                peer: target))
    }

    /// Puts a newly known member at a random place in the part of the round not yet probed.
    mutating func addToProbeOrder(_ name: String) {
        let position = Int.random(in: probeIndex...probeOrder.count, using: &rng)
        probeOrder.insert(name, at: position)
    }

    private mutating func probeFailed(_ failed: ProbeState, now: MeshInstant, into out: inout [SWIMDirective]) {
        // Lifeguard: missing nacks mean our own network or process is the problem.
        if failed.expectedNacks > 0 {
            adjustLocalHealth(max(0, failed.expectedNacks - failed.nacks))
        } else {
            adjustLocalHealth(1)
        }
        guard let state = table[failed.target], state.status.isReachable else { return }
        let inc = state.status.incarnation
        let isNew = applySuspect(failed.target, incarnation: inc, accuser: myself.name, now: now, into: &out)
        if isNew {
            // Lifeguard: tell the suspect directly so it can refute at once.
            let notice = MemberUpdate(kind: .suspect, name: failed.target, incarnation: inc, source: myself.name)
            out.append(.send(.gossip([notice]), to: state.metadata.rpcAddress, peer: failed.target))
        }
    }

    mutating func handleAck(_ seq: UInt64, from address: String, now: MeshInstant, into out: inout [SWIMDirective]) {
        if let name = finalChecks.removeValue(forKey: seq) {
            suspicions[name]?.restart(at: now)
        } else if let pending = reconnect, pending.sequence == seq {
            // A member we hold dead answers: exchange state so both sides learn the truth.
            reconnect = nil
            out.append(.send(.syncOffer(digest: digest.buckets, gossip: []), to: address, peer: pending.name))
        } else if let current = probe, current.sequence == seq {
            let direct = table[current.target]?.metadata.rpcAddress == address
            if direct { sampleRoundTrip(now - current.sentAt) }
            adjustLocalHealth(current.indirectSent ? 0 : -1)
            probe = nil
        } else if let relay = relays.removeValue(forKey: seq) {
            out.append(.send(.ack(sequence: relay.requesterSequence, gossip: []), to: relay.requester))
        } else if let last = lastExpiredProbe, last.sequence == seq {
            sampleRoundTrip(now - last.sentAt)
            lastExpiredProbe = nil
        }
    }

    private mutating func sampleRoundTrip(_ sample: MeshDuration) {
        guard let estimate = roundTripEstimate else {
            roundTripEstimate = sample
            return
        }
        // Fast attack, slow decay: a slower network must stretch timeouts within a probe or two,
        // before it causes a wave of false suspicions; a faster one can wait.
        roundTripEstimate = sample > estimate ? (estimate + sample) / 2 : estimate * 0.875 + sample * 0.125
    }

    mutating func expireRelays(now: MeshInstant, into out: inout [SWIMDirective]) {
        guard !relays.isEmpty else { return }
        for seq in relays.compactMap({ $0.value.deadline <= now ? $0.key : nil }).sorted() {
            guard let relay = relays[seq] else { continue }
            relays[seq] = nil
            out.append(.send(.nack(sequence: relay.requesterSequence), to: relay.requester))
        }
    }

    mutating func expireSuspicions(now: MeshInstant, into out: inout [SWIMDirective]) {
        while let (name, deadline) = suspicionDeadlines.popDue(now: now) {
            guard scheduledSuspicions[name] == deadline, var suspicion = suspicions[name] else { continue }
            scheduledSuspicions[name] = nil
            if let check = suspicion.finalCheck {
                finalChecks[check.sequence] = nil
                let update = MemberUpdate(
                    kind: .dead, name: name, incarnation: suspicion.incarnation, source: myself.name)
                _ = applyDead(update, now: now, into: &out)
            } else if let address = table[name]?.metadata.rpcAddress {
                // Last chance: a direct ping carrying the accusation, so a live member refutes now.
                sequence += 1
                suspicion.finalCheck = Suspicion.FinalCheck(sequence: sequence, deadline: now + probeTimeout)
                suspicions[name] = suspicion
                finalChecks[sequence] = name
                scheduleSuspicion(name)
                out.append(
                    .send(
                        .ping(sequence: sequence, target: name, gossip: takeGossip(for: name)), to: address,
                        peer: name))
            }
        }
    }
}
