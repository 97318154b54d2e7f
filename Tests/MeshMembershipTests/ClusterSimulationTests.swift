import Foundation
import MeshCore
import MeshMembership
import MeshTestKit
import Testing

/// One row set of the membership scoreboard for a cluster size.
struct SimulationReport {
    var size: Int
    var bootConverged: Double?
    var join: Double?
    var crash: SimulatedCluster.CrashResult
    var traffic: (messages: Double, bytes: Double)
    var pausedDeaths: (deaths: Int, suspicions: Int)
    var slowedDeaths: (deaths: Int, suspicions: Int)
    var lossDeaths: (deaths: Int, suspicions: Int)
    var delayDeaths: (deaths: Int, suspicions: Int)
    var partition: SimulatedCluster.PartitionResult
    /// Partition long enough that both halves reaped each other; nil when not run.
    var forgotten: SimulatedCluster.PartitionResult?
    var largestMessage: Int
    var cpuSeconds: Double
}

func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

/// Progress lines go to stderr, unbuffered, so long runs can be followed.
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

func runScoreboard(size: Int, seed: UInt64, stress: MeshDuration, healAfterReaping: Bool) throws -> SimulationReport {
    let clockStart = ProcessInfo.processInfo.systemUptime
    func step(_ what: String) {
        progress(
            "[N=\(size) " + String(format: "%.1fs", ProcessInfo.processInfo.systemUptime - clockStart) + "] \(what)")
    }
    let cluster = try SimulatedCluster(size: size, seed: seed)
    step("booted")
    let boot = cluster.converge(limit: .milliseconds(60_000))
    step("converged")
    cluster.sim.run(for: .milliseconds(5_000))
    // The window covers two anti-entropy and seed-sync periods, so their bytes are included.
    let traffic = cluster.measureTraffic(window: cluster.config.antiEntropyInterval * Int64(2) + .milliseconds(1_000))
    let join = try cluster.measureJoin()
    cluster.sim.run(for: .milliseconds(3_000))
    step("traffic and join measured")
    let crash = cluster.measureCrash(count: size >= 1_000 ? 5 : size >= 100 ? 3 : 1)
    step("crash measured")
    cluster.sim.run(for: .milliseconds(3_000))
    let settle = MeshDuration.milliseconds(10_000)
    let debug = ProcessInfo.processInfo.environment["MESH_SIM_DEBUG"] != nil
    cluster.observer.keepLog = debug
    func stressed(_ scenario: SimulatedCluster.Stress) -> (deaths: Int, suspicions: Int) {
        let start = cluster.sim.now
        let result = cluster.falseDeaths(under: scenario, for: stress, settle: settle)
        step("stress \(scenario): \(result)")
        if debug {
            print("scenario \(scenario): \(result)")
            printPostMortem(cluster, since: start)
        }
        return result
    }
    let paused = stressed(.paused(pause: .milliseconds(2_000), cycle: .milliseconds(5_000)))
    let slowed = stressed(.slowed(.milliseconds(300)))
    let loss = stressed(.loss(0.10))
    let delay = stressed(.addedDelay(.milliseconds(500)))
    let partition = cluster.measurePartitionMerge(forget: false, limit: .milliseconds(120_000))
    step("partition healed: \(partition)")
    var forgotten: SimulatedCluster.PartitionResult?
    if healAfterReaping {
        cluster.sim.run(for: .milliseconds(5_000))
        forgotten = cluster.measurePartitionMerge(forget: true, limit: cluster.config.deadRetention * Int64(3))
        step("partition past dead retention healed: \(forgotten!)")
    }
    return SimulationReport(
        size: size, bootConverged: boot?.seconds, join: join, crash: crash, traffic: traffic, pausedDeaths: paused,
        slowedDeaths: slowed, lossDeaths: loss, delayDeaths: delay, partition: partition, forgotten: forgotten,
        largestMessage: cluster.largestMessage, cpuSeconds: ProcessInfo.processInfo.systemUptime - clockStart)
}

func formatTable(_ reports: [SimulationReport]) -> String {
    func f(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "n/a" }
    func cell(_ body: (SimulationReport) -> String) -> String { reports.map(body).joined(separator: " | ") }
    let header = "| metric | " + reports.map { "N=\($0.size)" }.joined(separator: " | ") + " | reference |"
    let rule = "|---|" + reports.map { _ in "---|" }.joined() + "---|"
    let rows = [
        "| boot: all converged (s) | \(cell { f($0.bootConverged) }) | |",
        "| join known to 99.9 % (s) | \(cell { f($0.join) }) | Serf model 1.54 (N=100), 1.84 (N=1000); goal ≤ 1.5 at 1000 |",
        "| crash → first suspected, p50 (s) | \(cell { f(median($0.crash.firstSuspected)) }) | SWIM E[T] ≈ 1.58 periods |",
        "| crash → dead everywhere, p50 (s) | \(cell { f(median($0.crash.deadEverywhere)) }) | memberlist ≈12 (N=100), 16.5 (N=1000); goal ≤6 / ≤8 |",
        "| crash → dead everywhere, max (s) | \(cell { f($0.crash.deadEverywhere.max()) }) | |",
        "| messages / node / s (steady) | \(cell { f($0.traffic.messages) }) | flat in N |",
        "| bytes / node / s (steady) | \(cell { String(format: "%.0f", $0.traffic.bytes) }) | Serf bound 41 000 (328 kbps) |",
        "| false deaths, 10 % paused 2 s of 5 s (suspicions) | \(cell { "\($0.pausedDeaths.deaths) (\($0.pausedDeaths.suspicions))" }) | goal 0 |",
        "| false deaths, 10 % slowed +300 ms each way | \(cell { "\($0.slowedDeaths.deaths) (\($0.slowedDeaths.suspicions))" }) | goal 0 |",
        "| false deaths, 10 % message loss | \(cell { "\($0.lossDeaths.deaths) (\($0.lossDeaths.suspicions))" }) | goal 0 |",
        "| false deaths, +500 ms on every link | \(cell { "\($0.delayDeaths.deaths) (\($0.delayDeaths.suspicions))" }) | goal 0 |",
        "| partition → each half holds the other dead (s) | \(cell { f($0.partition.separated) }) | |",
        "| partition heal → fully merged (s) | \(cell { f($0.partition.merged) }) | memberlist: never; goal ≤ 20 (2 anti-entropy periods) |",
        "| long partition → other half reaped everywhere (s) | \(cell { f($0.forgotten?.forgotten) }) | retention 120 |",
        "| heal after reaping → fully merged (s) | \(cell { f($0.forgotten?.merged) }) | memberlist: never |",
        "| largest message (bytes) | \(cell { "\($0.largestMessage)" }) | maxPacketBytes 65 536 |",
        "| wall-clock seconds for the run | \(cell { String(format: "%.1f", $0.cpuSeconds) }) | |",
    ]
    return ([header, rule] + rows).joined(separator: "\n")
}

@Suite("Cluster simulation")
struct ClusterSimulationTests {
    @Test("same seed, same run: the simulator is deterministic")
    func deterministic() throws {
        func fingerprint() throws -> [Int] {
            let cluster = try SimulatedCluster(size: 12, seed: 42)
            cluster.sim.conditions.loss = 0.05
            cluster.sim.run(for: .milliseconds(8_000))
            _ = cluster.measureCrash(count: 1, limit: .milliseconds(20_000))
            return cluster.sim.traffic.map(\.bytesSent) + [cluster.sim.eventsProcessed, cluster.sim.droppedByLoss]
        }
        #expect(try fingerprint() == fingerprint())
    }

    @Test("N=10: join, crash detection, stress without false deaths, partition heal")
    func smallCluster() throws {
        let report = try runScoreboard(size: 10, seed: 1, stress: .milliseconds(30_000), healAfterReaping: true)
        print(formatTable([report]))
        #expect(report.bootConverged != nil)
        #expect(try #require(report.join) < 1.5)
        #expect(report.crash.deadEverywhere.count == 1)
        #expect(try #require(report.crash.deadEverywhere.max()) < 12)
        #expect(report.pausedDeaths.deaths == 0)
        #expect(report.slowedDeaths.deaths == 0)
        #expect(report.lossDeaths.deaths == 0)
        #expect(report.delayDeaths.deaths == 0)
        #expect(report.partition.separated != nil)
        #expect(try #require(report.partition.merged) <= 20)
        #expect(try #require(report.forgotten?.merged) <= 20)
        #expect(report.largestMessage <= SWIMConfiguration().maxPacketBytes)
    }

    @Test("N=100: the goals hold", .enabled(if: ProcessInfo.processInfo.environment["MESH_SIM_FULL"] == nil))
    func mediumCluster() throws {
        let report = try runScoreboard(size: 100, seed: 2, stress: .milliseconds(20_000), healAfterReaping: false)
        print(formatTable([report]))
        #expect(report.bootConverged != nil)
        #expect(try #require(report.join) < 1.5)
        #expect(report.crash.deadEverywhere.count == 3)
        #expect(try #require(median(report.crash.deadEverywhere)) <= 8)
        #expect(report.pausedDeaths.deaths == 0)
        #expect(report.slowedDeaths.deaths == 0)
        #expect(report.lossDeaths.deaths == 0)
        #expect(report.delayDeaths.deaths == 0)
        #expect(report.partition.separated != nil)
        #expect(try #require(report.partition.merged) <= 20)
        #expect(report.largestMessage <= SWIMConfiguration().maxPacketBytes)
    }

    @Test("one-way partition: the cut-off node dies for the others, nobody else does")
    func oneWayPartition() throws {
        let cluster = try SimulatedCluster(size: 10, seed: 9)
        #expect(cluster.converge(limit: .milliseconds(20_000)) != nil)
        cluster.sim.setGroup(9, 1)
        cluster.sim.block(from: 0, to: 1)  // n9 can send but hears nothing
        cluster.observer.crashed.insert("n9")
        cluster.observer.resetCounters()
        cluster.sim.run(for: .milliseconds(30_000))
        let majorityDeaths = cluster.observer.falseDeaths.filter { $0.node != 9 }.map(\.name)
        #expect(majorityDeaths.isEmpty, "majority members died: \(majorityDeaths)")
        for i in 0..<9 {
            #expect(cluster.sim.processes[i].instance.member(named: "n9")?.status.isReachable == false)
        }
    }

    @Test(
        "full scoreboard for N = 10, 100, 1000 (MESH_SIM_FULL=1, MESH_SIM_SIZES=10,100,1000, MESH_SIM_SEED=0)",
        .enabled(if: ProcessInfo.processInfo.environment["MESH_SIM_FULL"] != nil))
    func fullScoreboard() throws {
        var reports: [SimulationReport] = []
        let sizes = (ProcessInfo.processInfo.environment["MESH_SIM_SIZES"] ?? "10,100,1000")
            .split(separator: ",").compactMap { Int($0) }
        for size in sizes {
            let offset = UInt64(ProcessInfo.processInfo.environment["MESH_SIM_SEED"] ?? "0") ?? 0
            let report = try runScoreboard(
                size: size, seed: UInt64(size) + offset, stress: .milliseconds(30_000),
                healAfterReaping: true)
            reports.append(report)
            print(formatTable([report]))
        }
        print(formatTable(reports))
    }
}
