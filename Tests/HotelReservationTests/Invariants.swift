import HotelReservation
import MeshSaga

/// The five invariants of the hotel system (issue 14), checked over a quiescent `HotelCluster`. Each violation is
/// a sentence naming the invariant and an example.
extension HotelCluster {
    func violations() -> [String] {
        var found: [String] = []
        // 1. No night of any room type is booked beyond capacity; the counters agree with the holds.
        for p in inventory.partitions {
            var recount: [String: [String: [UInt32: UInt32]]] = [:]
            for h in p.state.holds.values where h.status.takesRooms {
                for n in h.stay.nights {
                    recount[h.hotelId, default: [:]][h.stay.roomType, default: [:]][n, default: 0] += h.stay.rooms
                }
            }
            for (hotelId, ledger) in p.state.hotels {
                let hotel = Catalogue.hotel(hotelId)!
                for (type, nights) in ledger.use {
                    let capacity = hotel.roomType(type)!.capacity
                    for (night, use) in nights {
                        if use.taken > capacity {
                            found.append("1 overbooked: \(hotelId) \(type) night \(night): \(use.taken) > \(capacity)")
                        }
                        if use.taken != recount[hotelId]?[type]?[night] ?? 0 {
                            found.append("1 counters disagree with holds: \(hotelId) \(type) night \(night)")
                        }
                    }
                }
            }
        }
        // 2. Exactly one terminal state per reservation; 3. money matches; inventory agrees.
        let decisions = reservations.events.filter {
            $0.type == HotelEventType.reservationConfirmed.rawValue
                || $0.type == HotelEventType.reservationRejected.rawValue
        }
        var decisionCount: [String: Int] = [:]
        for e in decisions { decisionCount[e.streamKey, default: 0] += 1 }
        var captures: [String: Int] = [:]
        for e in payments.events
        where e.type == HotelEventType.paymentCaptured.rawValue || e.type == HotelEventType.paymentRefunded.rawValue {
            let env = SagaEnvelope(bytes: e.payload)!
            captures["\(e.type)/\(env.reservationId)#\(env.attempt)", default: 0] += 1
        }
        for (key, n) in captures where n > 1 { found.append("3 charged twice: \(key) × \(n)") }
        for r in allReservations {
            if r.status == .pending || r.upgradeInProgress {
                found.append("2 not terminal: \(r.id) is \(r.status) at \(r.saga.stage) (\(r.saga.why))")
            }
            if decisionCount[r.id] != 1 { found.append("2 \(r.id) decided \(decisionCount[r.id] ?? 0) times") }
            let account = self.account(r.id)
            let net = account?.netCaptured ?? 0
            let open = account?.openAuthorizations ?? 0
            if open != 0 { found.append("3 \(r.id) (\(r.status)) has \(open) authorization(s) left open") }
            let taking = holds(r).filter { $0.status.takesRooms }
            switch r.status {
            case .confirmed:
                if net != r.amount { found.append("3 confirmed \(r.id) paid \(net), price \(r.amount)") }
                if taking.map(\.attempt) != [r.attempt] || taking.first?.status != .booked
                    || taking.first?.stay != r.stay
                {
                    found.append(
                        "1 confirmed \(r.id) books \(taking.map { "\($0.attempt):\($0.status)" }), not attempt \(r.attempt)"
                    )
                }
            case .cancelled, .rejected:
                if net != 0 { found.append("3 \(r.status) \(r.id) kept \(net)") }
                if r.status == .rejected && (account?.capturedTotal ?? 0) != 0 {
                    found.append("3 rejected \(r.id) was captured")
                }
                if !taking.isEmpty { found.append("1 \(r.status) \(r.id) still takes rooms") }
            case .pending:
                break
            }
        }
        // 5. No event lost: nothing in flight, and the read model caught up with inventory exactly.
        if !inFlight.isEmpty { found.append("5 \(inFlight.count) deliveries left in flight") }
        if !deadLetters.isEmpty { found.append("5 dead letters: \(deadLetters.map { "\($0.1)" })") }
        for p in inventory.partitions {
            for (hotelId, ledger) in p.state.hotels {
                let view =
                    search.partition(for: Catalogue.hotel(hotelId)!.city).state.views[hotelId]
                    ?? HotelView(hotelId: hotelId)
                if view.highWater != ledger.version || !view.above.isEmpty {
                    found.append(
                        "5 search applied \(hotelId) up to \(view.highWater), inventory is at \(ledger.version)")
                }
                for (type, nights) in ledger.use {
                    for (night, use) in nights where Int64(use.taken) != view.taken[type]?[night] ?? 0 {
                        found.append("5 search disagrees on \(hotelId) \(type) night \(night)")
                    }
                }
            }
        }
        return found
    }

    /// Checks event sourcing: every partition's log folded from empty, and from a snapshot of a prefix, gives its
    /// state; the snapshot of the state round-trips.
    func replayMismatches() throws -> [String] {
        try replay(reservations) + replay(inventory) + replay(payments) + replay(search)
    }

    private func replay<D: HotelDomain>(_ group: ServiceGroup<D>) throws -> [String] where D.State: Equatable {
        var out: [String] = []
        for (i, p) in group.partitions.enumerated() {
            var folded = D.initialState()
            let half = p.log.count / 2
            for (e, at) in p.log[..<half] { try D.apply(e, timestamp: at, to: &folded) }
            var resumed = try D.decodeSnapshot(D.encodeSnapshot(folded)[...])
            for (e, at) in p.log[half...] {
                try D.apply(e, timestamp: at, to: &folded)
                try D.apply(e, timestamp: at, to: &resumed)
            }
            if folded != p.state { out.append("\(D.serviceName)-\(i): the fold of its log differs from its state") }
            if resumed != p.state { out.append("\(D.serviceName)-\(i): snapshot + suffix differs from its state") }
            if try D.decodeSnapshot(D.encodeSnapshot(p.state)[...]) != p.state {
                out.append("\(D.serviceName)-\(i): its snapshot does not round-trip")
            }
        }
        return out
    }
}
