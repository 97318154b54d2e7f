import MeshCore
import MeshMembership

/// Small builders shared by the membership tests.
func ms(_ milliseconds: Int64) -> MeshInstant { MeshInstant.zero + .milliseconds(milliseconds) }

func address(_ name: String) -> String { "\(name):7946" }

func meta(_ name: String, services: [String] = [], key: [UInt8] = [], host: String? = nil) -> MemberMetadata {
    MemberMetadata(
        name: name, rpcAddress: host ?? address(name), services: services, buildVersion: "0.1.0",
        publicKey: key)
}

func makeInstance(
    _ name: String, config: SWIMConfiguration = SWIMConfiguration(), seeds: [String] = [], now: MeshInstant = .zero,
    seed: UInt64 = 7, services: [String] = []
) throws -> SWIMInstance {
    try SWIMInstance(
        config: config, myself: meta(name, services: services), seeds: seeds, now: now,
        rng: SeededRandom(seed: seed))
}

extension SWIMInstance {
    /// Teaches the instance about alive members as if `from` had gossiped them.
    mutating func learn(_ names: [String], from: String = "seed:7946", now: MeshInstant = .zero) {
        _ = receive(.gossip(names.map { .alive(meta($0), incarnation: 0) }), from: from, now: now)
    }
}

extension Array where Element == SWIMDirective {
    var sends: [(message: SWIMMessage, to: String)] {
        compactMap { if case .send(let m, let to, _) = $0 { (m, to) } else { nil } }
    }

    var events: [MembershipEvent] {
        compactMap { if case .event(let e) = $0 { e } else { nil } }
    }

    var pings: [(sequence: UInt64, target: String, to: String)] {
        sends.compactMap { if case .ping(let s, let t, _) = $0.message { (s, t, $0.to) } else { nil } }
    }

    var pingRequests: [(sequence: UInt64, target: String, to: String)] {
        sends.compactMap { if case .pingRequest(let s, let t, _, _) = $0.message { (s, t, $0.to) } else { nil } }
    }
}
