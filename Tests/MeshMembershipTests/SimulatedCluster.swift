import Foundation
import MeshCore
import MeshMembership
import MeshTestKit

/// A booted, converged cluster of `SWIMInstance`s in the simulator, with the fault scenarios the
/// membership goals are measured under.
final class SimulatedCluster {
    let sim: ClusterSimulator<SimulatedSWIMNode>
    let observer = MembershipObserver()
    let config: SWIMConfiguration
    private var rng: SeededRandom
    private(set) var down: Set<Int> = []

    init(size: Int, seed: UInt64, config: SWIMConfiguration = SWIMConfiguration()) throws {
        self.config = config
        rng = SeededRandom(seed: seed ^ 0x5EED)
        sim = ClusterSimulator(seed: seed)
        let observer = self.observer
        sim.onEvent = { node, time, event in observer.record(node: node, at: time, event) }
        for _ in 0..<size {
            try addNode()
            sim.run(for: .milliseconds(2))
        }
    }

    static func name(_ i: Int) -> String { "n\(i)" }

    var live: [Int] { (0..<sim.count).filter { !down.contains($0) } }

    /// Adds a node that joins through up to three random live members.
    @discardableResult
    func addNode() throws -> Int {
        let i = sim.count
        let candidates = live
        var seeds: [String] = []
        for _ in 0..<min(3, candidates.count) {
            seeds.append(sim.processes[candidates[Int.random(in: 0..<candidates.count, using: &rng)]].address)
        }
        let metadata = MemberMetadata(
            name: Self.name(i), rpcAddress: "\(Self.name(i)):7946",
            services: ["svc-\(i % 7)"], buildVersion: "0.1.0")
        let instance = try SWIMInstance(
            config: config, myself: metadata, seeds: seeds, now: sim.now,
            rng: SeededRandom(seed: UInt64(i) &* 0x9E37_79B9 &+ rng.next()))
        return sim.add(SimulatedSWIMNode(instance: instance))
    }

    /// True when every live node sees exactly the live nodes as alive or suspect.
    var isConverged: Bool {
        let expected = live.count
        return live.allSatisfy { sim.processes[$0].instance.clusterSize == expected }
    }

    /// Runs until converged; returns the time it took, or nil after `limit`.
    func converge(limit: MeshDuration, step: MeshDuration = .milliseconds(100)) -> MeshDuration? {
        let start = sim.now
        while sim.now - start < limit {
            if isConverged { return sim.now - start }
            sim.run(for: step)
        }
        return isConverged ? sim.now - start : nil
    }

    func crash(_ ids: [Int]) {
        for id in ids {
            sim.crash(id)
            down.insert(id)
            observer.crashed.insert(Self.name(id))
        }
    }

    func randomLive(_ k: Int) -> [Int] {
        Array(live.shuffled(using: &rng).prefix(k))
    }

    // MARK: Measurements

    /// Seconds until a new node is known alive by 99.9 % of the existing live nodes.
    func measureJoin(limit: MeshDuration = .milliseconds(30_000)) throws -> Double? {
        let existing = live.count
        let needed = Int((Double(existing) * 0.999).rounded(.up))
        let start = sim.now
        let id = try addNode()
        let name = Self.name(id)
        let reached = sim.run(until: start + limit) { [observer] in observer.joinedCount[name, default: 0] >= needed }
        return reached ? (sim.now - start).seconds : nil
    }

    struct CrashResult {
        var firstSuspected: [Double]
        var deadEverywhere: [Double]
    }

    /// Crashes `count` random nodes at once; seconds until first suspected and until dead on every live node.
    func measureCrash(count: Int, limit: MeshDuration = .milliseconds(90_000)) -> CrashResult {
        let victims = randomLive(count)
        let start = sim.now
        crash(victims)
        let names = victims.map(Self.name)
        let witnesses = live
        func deadEverywhere(_ name: String) -> Bool {
            guard let died = observer.diedAt[name] else { return false }
            return witnesses.allSatisfy { died[$0] != nil }
        }
        var pending = Set(names)
        while !pending.isEmpty, sim.now - start < limit {
            sim.run(for: .milliseconds(50))
            pending = pending.filter { !deadEverywhere($0) }
        }
        var result = CrashResult(firstSuspected: [], deadEverywhere: [])
        for name in names {
            if let t = observer.firstSuspected[name] { result.firstSuspected.append((t - start).seconds) }
            if deadEverywhere(name), let died = observer.diedAt[name] {
                let last = witnesses.compactMap { died[$0] }.max() ?? start
                result.deadEverywhere.append((last - start).seconds)
            }
        }
        return result
    }

    /// Messages and bytes sent per live node per second over a quiet window.
    func measureTraffic(window: MeshDuration) -> (messages: Double, bytes: Double) {
        let nodes = live
        let before = nodes.map { sim.traffic[$0] }
        sim.run(for: window)
        var messages = 0
        var bytes = 0
        for (k, id) in nodes.enumerated() {
            messages += sim.traffic[id].messagesSent - before[k].messagesSent
            bytes += sim.traffic[id].bytesSent - before[k].bytesSent
        }
        let scale = Double(nodes.count) * window.seconds
        return (Double(messages) / scale, Double(bytes) / scale)
    }

    enum Stress {
        /// 10 % of nodes stop for `pause` out of every `cycle`, at staggered phases.
        case paused(pause: MeshDuration, cycle: MeshDuration)
        /// 10 % of nodes get `delay` extra on every message in and out.
        case slowed(MeshDuration)
        case loss(Double)
        case addedDelay(MeshDuration)
    }

    /// Runs a stress scenario, then a calm settling period; returns the false deaths it caused.
    func falseDeaths(under stress: Stress, for duration: MeshDuration, settle: MeshDuration) -> (
        deaths: Int, suspicions: Int
    ) {
        observer.resetCounters()
        let normal = sim.conditions
        let affected = randomLive(max(1, live.count / 10))
        let start = sim.now
        switch stress {
        case .paused(let pause, let cycle):
            let phases = affected.map { _ in
                MeshDuration(nanoseconds: Int64.random(in: 0..<cycle.nanoseconds, using: &rng))
            }
            let step = MeshDuration.milliseconds(50)
            while sim.now - start < duration {
                let elapsed = sim.now - start
                for (k, id) in affected.enumerated() {
                    let position = (elapsed + phases[k]).nanoseconds % cycle.nanoseconds
                    if position < pause.nanoseconds { sim.pause(id) } else { sim.resume(id) }
                }
                sim.run(for: step)
            }
            for id in affected { sim.resume(id) }
        case .slowed(let delay):
            for id in affected { sim.setExtraDelay(id, delay) }
            sim.run(for: duration)
            for id in affected { sim.setExtraDelay(id, .zero) }
        case .loss(let p):
            sim.conditions.loss = p
            sim.run(for: duration)
        case .addedDelay(let delay):
            sim.conditions.baseDelay = normal.baseDelay + delay
            sim.run(for: duration)
        }
        sim.conditions = normal
        sim.run(for: settle)
        return (observer.falseDeaths.count, observer.suspicions)
    }

    struct PartitionResult {
        /// Seconds until every node held only its own half reachable (nil: not within the limit).
        var separated: Double?
        /// With `forget`: seconds until no node knew any member of the other half (nil: not within the limit).
        var forgotten: Double?
        /// Seconds from the heal until every node sees every live node (nil: not within the limit).
        var merged: Double?
    }

    /// Splits the live nodes into halves that cannot reach each other, waits until each half has
    /// declared the other dead (and, with `forget`, until every node has also reaped the other half,
    /// so nothing probes across), heals, and measures the time until the cluster is whole again.
    func measurePartitionMerge(forget: Bool, limit: MeshDuration) -> PartitionResult {
        observer.countingFalseDeaths = false
        defer { observer.countingFalseDeaths = true }
        let nodes = live
        let firstHalf = Array(nodes.prefix(nodes.count / 2))
        let secondHalf = Array(nodes.dropFirst(nodes.count / 2))
        for id in firstHalf { sim.setGroup(id, 0) }
        for id in secondHalf { sim.setGroup(id, 1) }
        sim.block(from: 0, to: 1)
        sim.block(from: 1, to: 0)
        let start = sim.now
        func separated() -> Bool {
            firstHalf.allSatisfy { sim.processes[$0].instance.clusterSize == firstHalf.count }
                && secondHalf.allSatisfy { sim.processes[$0].instance.clusterSize == secondHalf.count }
        }
        func forgotten() -> Bool {
            func knowsNone(_ id: Int, of others: [Int]) -> Bool {
                let instance = sim.processes[id].instance
                return others.allSatisfy { instance.member(named: Self.name($0)) == nil }
            }
            return firstHalf.allSatisfy { knowsNone($0, of: secondHalf) }
                && secondHalf.allSatisfy { knowsNone($0, of: firstHalf) }
        }
        var separatedAt: MeshInstant?
        var forgottenAt: MeshInstant?
        while sim.now - start < limit {
            sim.run(for: .milliseconds(1_000))
            if separatedAt == nil, separated() { separatedAt = sim.now }
            if separatedAt != nil, forget, forgotten() { forgottenAt = sim.now }
            if separatedAt != nil, !forget || forgottenAt != nil { break }
        }
        if ProcessInfo.processInfo.environment["MESH_SIM_DEBUG"] != nil {
            print("views after the partition (forget: \(forget)):")
            printViews(self)
        }
        sim.healPartitions()
        let result = PartitionResult(
            separated: separatedAt.map { ($0 - start).seconds },
            forgotten: forgottenAt.map { ($0 - start).seconds }, merged: nil)
        guard separatedAt != nil, !forget || forgottenAt != nil else { return result }
        return PartitionResult(
            separated: result.separated, forgotten: result.forgotten,
            merged: converge(limit: limit)?.seconds)
    }

    /// The largest message any node has sent so far, in bytes.
    var largestMessage: Int { sim.traffic.map(\.largestSent).max() ?? 0 }
}
