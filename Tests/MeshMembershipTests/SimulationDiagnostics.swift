import Foundation
import MeshCore
import MeshMembership

/// Prints every suspicion, refutation and death concerning falsely killed members since `start`.
/// Used by the scoreboard when MESH_SIM_DEBUG is set.
func printPostMortem(_ cluster: SimulatedCluster, since start: MeshInstant) {
    let victims = Set(cluster.observer.falseDeaths.map(\.name))
    guard !victims.isEmpty else { return }
    for entry in cluster.observer.log where entry.time >= start {
        let about: String? =
            switch entry.event {
            case .suspected(let n, _, _), .refuted(let n, _), .died(let n, _, _): n
            case .selfRefuted: "n\(entry.node)"
            default: nil
            }
        guard let about, victims.contains(about) else { continue }
        print(String(format: "%8.3f", (entry.time - start).seconds), "n\(entry.node)", entry.event)
    }
    let accusers = Set(cluster.observer.falseDeaths.map(\.node))
    for a in accusers.sorted() {
        let name = "n\(a)"
        let seenBy = cluster.live.filter {
            cluster.sim.processes[$0].instance.member(named: name)?.status.isReachable == true
        }
        print(
            name, "state", cluster.sim.states[a], "reachable for", seenBy.count, "size",
            cluster.sim.processes[a].instance.clusterSize,
            "traffic", cluster.sim.traffic[a])
        for v in victims.sorted() {
            print("  view of", v, cluster.sim.processes[a].instance.member(named: v)?.status as Any)
        }
    }
    for victim in victims.sorted() {
        guard let i = Int(victim.dropFirst()) else { continue }
        let instance = cluster.sim.processes[i].instance
        print(
            victim, "inc", instance.incarnation, "lhm", instance.localHealth, "rtt",
            instance.roundTripEstimate.map { "\($0)" } ?? "none")
    }
}

/// Summarizes how each live node sees the cluster: counts of alive, suspect, dead and left members.
func printViews(_ cluster: SimulatedCluster) {
    var histogram: [String: Int] = [:]
    for id in cluster.live {
        var alive = 0
        var suspect = 0
        var dead = 0
        var left = 0
        for member in cluster.sim.processes[id].instance.members {
            switch member.status {
            case .alive: alive += 1
            case .suspect: suspect += 1
            case .dead: dead += 1
            case .left: left += 1
            }
        }
        histogram["alive \(alive) suspect \(suspect) dead \(dead) left \(left)", default: 0] += 1
    }
    for (key, count) in histogram.sorted(by: { $0.value > $1.value }) { print("  \(count) nodes: \(key)") }
}
