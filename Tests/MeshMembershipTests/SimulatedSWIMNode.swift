import MeshCore
import MeshMembership
import MeshTestKit

/// Adapts a `SWIMInstance` to the cluster simulator.
struct SimulatedSWIMNode: SimulatedProcess {
    var instance: SWIMInstance

    var address: String { instance.myself.rpcAddress }
    var nextDeadline: MeshInstant { instance.nextDeadline }

    mutating func tick(now: MeshInstant) -> SimulatedOutput<SWIMMessage, MembershipEvent> {
        Self.output(instance.tick(now: now))
    }

    mutating func receive(_ message: SWIMMessage, from address: String, now: MeshInstant)
        -> SimulatedOutput<SWIMMessage, MembershipEvent>
    {
        Self.output(instance.receive(message, from: address, now: now))
    }

    static func wireSize(of message: SWIMMessage) -> Int { message.encoded().count }

    static func output(_ directives: [SWIMDirective]) -> SimulatedOutput<SWIMMessage, MembershipEvent> {
        var output = SimulatedOutput<SWIMMessage, MembershipEvent>()
        for directive in directives {
            switch directive {
            case .send(let message, let to, _): output.sends.append((message, to))
            case .event(let event): output.events.append(event)
            }
        }
        return output
    }
}

/// Collects what the simulated cluster's members report about each other.
final class MembershipObserver {
    var crashed: Set<String> = []
    /// Deaths of members that were not crashed count as false while this is true.
    var countingFalseDeaths = true
    /// (observer node, member) for each false death.
    private(set) var falseDeaths: [(node: Int, name: String)] = []
    private(set) var suspicions = 0
    private(set) var joinedCount: [String: Int] = [:]
    private(set) var firstSuspected: [String: MeshInstant] = [:]
    private(set) var diedAt: [String: [Int: MeshInstant]] = [:]

    /// When set, every event is kept for post-mortems of a failed scenario.
    var keepLog = false
    private(set) var log: [(node: Int, time: MeshInstant, event: MembershipEvent)] = []

    func record(node: Int, at time: MeshInstant, _ event: MembershipEvent) {
        if keepLog { log.append((node, time, event)) }
        switch event {
        case .joined(let metadata):
            joinedCount[metadata.name, default: 0] += 1
        case .suspected(let name, _, _):
            suspicions += 1
            if firstSuspected[name] == nil { firstSuspected[name] = time }
        case .died(let name, _, _):
            if diedAt[name]?[node] == nil { diedAt[name, default: [:]][node] = time }
            if countingFalseDeaths, !crashed.contains(name) { falseDeaths.append((node, name)) }
        default:
            break
        }
    }

    func resetCounters() {
        falseDeaths = []
        suspicions = 0
    }
}
