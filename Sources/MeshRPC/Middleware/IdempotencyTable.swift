import MeshCore

/// Who used an idempotency key: keys are scoped per caller, so two callers cannot collide.
public struct IdempotencyScope: Hashable, Sendable {
    public var peer: String
    public var key: String
    public init(peer: String, key: String) {
        self.peer = peer
        self.key = key
    }
}

/// What the store knows about a command's key when the command arrives.
public enum IdempotencyLookup: Hashable, Sendable {
    /// First use: the key is now reserved for this request; run the handler, then `complete` or `abandon`.
    case reserved
    /// The same request already succeeded: return this stored response without running the handler.
    case replay(ServerResponse)
    /// The same request is running right now.
    case inProgress
    /// The key was used for a different request (another method or payload).
    case mismatch
}

/// The deduplication table behind `InMemoryIdempotencyStore`: a pure value, bounded LRU with a TTL.
///
/// Invariants: beyond `capacity` keys, completed entries are evicted least recently used first; running
/// entries are never evicted (so at most `capacity` + commands running are held);
/// a completed entry is replayed for `ttl` after it completed and forgotten after; a key is only ever
/// bound to one request fingerprint while it is held; failures are not stored (`abandon` frees the key,
/// so a retry runs the handler again).
public struct IdempotencyTable: Sendable {
    private enum State: Sendable {
        case running
        case done(ServerResponse, expires: MeshInstant)
    }

    private struct Entry: Sendable {
        var fingerprint: UInt64
        var state: State
        var generation: UInt64
    }

    public let capacity: Int
    public let ttl: MeshDuration
    private var entries: [IdempotencyScope: Entry] = [:]
    /// Use order, oldest first; an element is stale when its generation is not the entry's current one.
    private var order: [(IdempotencyScope, UInt64)] = []
    private var head = 0
    private var generation: UInt64 = 0

    public init(capacity: Int = 10_000, ttl: MeshDuration = .seconds(24 * 3600)) {
        precondition(capacity >= 1, "capacity is at least 1")
        self.capacity = capacity
        self.ttl = ttl
    }

    public var count: Int { entries.count }

    public mutating func begin(_ scope: IdempotencyScope, fingerprint: UInt64, now: MeshInstant) -> IdempotencyLookup {
        if let entry = entries[scope] {
            switch entry.state {
            case .done(_, let expires) where expires <= now:
                entries[scope] = nil  // expired: a fresh use
            case _ where entry.fingerprint != fingerprint:
                return .mismatch
            case .running:
                return .inProgress
            case .done(let response, _):
                touch(scope)
                return .replay(response)
            }
        }
        entries[scope] = Entry(fingerprint: fingerprint, state: .running, generation: 0)
        touch(scope)
        evict()
        return .reserved
    }

    /// Stores the response of a reserved request (or of one evicted while running).
    public mutating func complete(
        _ scope: IdempotencyScope, fingerprint: UInt64, response: ServerResponse, now: MeshInstant
    ) {
        if let entry = entries[scope], entry.fingerprint != fingerprint { return }
        entries[scope] = Entry(fingerprint: fingerprint, state: .done(response, expires: now + ttl), generation: 0)
        touch(scope)
        evict()
    }

    /// Frees a reserved key whose request failed.
    public mutating func abandon(_ scope: IdempotencyScope, fingerprint: UInt64) {
        guard let entry = entries[scope], entry.fingerprint == fingerprint, case .running = entry.state else { return }
        entries[scope] = nil
    }

    private mutating func touch(_ scope: IdempotencyScope) {
        generation &+= 1
        entries[scope]?.generation = generation
        order.append((scope, generation))
    }

    private mutating func evict() {
        var budget = order.count - head
        while entries.count > capacity, head < order.count, budget > 0 {
            budget -= 1
            let (scope, gen) = order[head]
            head += 1
            guard let entry = entries[scope], entry.generation == gen else { continue }
            if case .running = entry.state {
                touch(scope)  // keep running commands; evict completed ones first
            } else {
                entries[scope] = nil
            }
        }
        if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    /// A request's identity under a key: FNV-1a 64 over the method, a 0 byte, and the payload.
    public static func fingerprint(method: String, payload: ArraySlice<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in method.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        h = (h ^ 0) &* 0x100_0000_01b3
        for b in payload { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
