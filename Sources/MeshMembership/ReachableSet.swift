import MeshCore

/// Member names with O(1) insert, remove and uniform random pick (the reachable members; the dead ones).
struct ReachableSet: Sendable {
    private(set) var names: [String] = []
    private var index: [String: Int] = [:]

    var count: Int { names.count }
    var isEmpty: Bool { names.isEmpty }

    func contains(_ name: String) -> Bool { index[name] != nil }

    mutating func insert(_ name: String) {
        guard index[name] == nil else { return }
        index[name] = names.count
        names.append(name)
    }

    mutating func remove(_ name: String) {
        guard let i = index.removeValue(forKey: name) else { return }
        let last = names.removeLast()
        if i < names.count {
            names[i] = last
            index[last] = i
        }
    }

    /// Up to `k` distinct names chosen uniformly at random, none of them in `excluded`.
    func randomPick(_ k: Int, excluding excluded: Set<String>, using rng: inout SeededRandom) -> [String] {
        let available = names.count - excluded.filter { contains($0) }.count
        let want = min(k, available)
        guard want > 0 else { return [] }
        var picked: [String] = []
        var seen = Set<Int>()
        if want * 3 < names.count {
            while picked.count < want {
                let i = Int.random(in: 0..<names.count, using: &rng)
                if seen.insert(i).inserted, !excluded.contains(names[i]) { picked.append(names[i]) }
            }
            return picked
        }
        for name in names.shuffled(using: &rng) where !excluded.contains(name) {
            picked.append(name)
            if picked.count == want { break }
        }
        return picked
    }
}
