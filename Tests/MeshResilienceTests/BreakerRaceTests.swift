import MeshCore
import MeshResilience
import Testing

/// Many callers interleaved by a seeded RNG, as concurrent tasks would be by a shell that serialises access to
/// the breaker: half-open never admits more than its permits, and the breaker is never stuck.
@Suite("Breaker: simulated concurrent callers")
struct BreakerRaceTests {
    static let permits = 3

    @Test(arguments: [1, 2, 3, 42, 2026] as [UInt64])
    func callersRacingThroughHalfOpenNeverExceedThePermitsNorWedgeIt(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        var breaker = try CircuitBreaker(
            configuration: smallConfiguration(
                failureRate: 0.5, slowCall: .milliseconds(100), minimumCalls: 4,
                openWait: .milliseconds(50), halfOpenPermits: Self.permits))
        var held: [BreakerPermit] = []
        var now = MeshInstant.zero
        var visited: Set<String> = []
        var transitions: [BreakerTransition] = []
        var trialsAdmittedThisEpisode = 0
        var trialsReturnedThisEpisode = 0
        var episode: UInt64 = .max

        for _ in 0..<20_000 {
            switch rng.next() % 10 {
            case 0...3:
                let current = held.filter { $0.generation == breaker.snapshot.generation }.count
                let wasHalfOpenAndIdle = breaker.state == .halfOpen && current == 0
                switch breaker.tryAcquire(now: now) {
                case .success(let permit):
                    held.append(permit)
                    if permit.isTrial {
                        if permit.generation != episode {
                            episode = permit.generation
                            trialsAdmittedThisEpisode = 0
                            trialsReturnedThisEpisode = 0
                        }
                        trialsAdmittedThisEpisode += 1
                    }
                case .failure(let rejection):
                    #expect(!wasHalfOpenAndIdle, "half-open with no trial out refused a caller: \(rejection)")
                }
            case 4...7 where !held.isEmpty:
                let permit = held.remove(at: Int(rng.next() % UInt64(held.count)))
                let roll = rng.next() % 20
                if permit.isTrial && permit.generation == episode && roll >= 14 { trialsReturnedThisEpisode += 1 }
                switch roll {
                case 0..<10: transitions += breaker.record(permit, outcome: .success, now: now)
                case 10..<14: transitions += breaker.record(permit, outcome: .failure(.timeout), now: now)
                case 14..<17: transitions += breaker.release(permit, now: now)
                default: transitions += breaker.record(permit, outcome: .ignored, now: now)
                }
            case 8:
                now = now + .milliseconds(Int64(rng.next() % 40))
            default:
                transitions += breaker.tick(now: now)
            }
            visited.insert(breaker.state.description)
            let generation = breaker.snapshot.generation
            let current = held.filter { $0.generation == generation }
            #expect(breaker.snapshot.inFlight == current.count)
            if breaker.state == .halfOpen {
                #expect(current.count <= Self.permits)
                #expect(current.allSatisfy { $0.isTrial })
                // Across the episode, admitted trials minus returned ones never exceed the permits.
                if episode == generation {
                    #expect(trialsAdmittedThisEpisode - trialsReturnedThisEpisode <= Self.permits)
                }
            }
        }
        transitions += breaker.takeTransitions()
        #expect(visited == ["closed", "open", "halfOpen"])
        #expect(transitions.count > 10)
        for (previous, next) in zip(transitions, transitions.dropFirst()) {
            #expect(previous.to == next.from, "transitions must chain")
            #expect(previous.at <= next.at)
        }

        // Every caller gives up its permit; a healthy peer then always brings the breaker back to closed.
        for permit in held { _ = breaker.release(permit, now: now) }
        for _ in 0..<10 where breaker.state != .closed {
            now = now + .milliseconds(1_000)
            _ = breaker.tick(now: now)
            if case .success(let permit) = breaker.tryAcquire(now: now) {
                _ = breaker.record(permit, outcome: .success, now: now)
            }
        }
        #expect(breaker.state == .closed)
    }
}
