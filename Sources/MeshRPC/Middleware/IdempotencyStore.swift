import MeshCore
import Synchronization

/// Where server-side command deduplication keeps keys and results. In memory today; the durable event
/// log will implement it so deduplication survives restarts.
public protocol IdempotencyStore: Sendable {
    /// Atomically looks `scope` up and, if unknown, reserves it for the request with `fingerprint`.
    func begin(_ scope: IdempotencyScope, fingerprint: UInt64, now: MeshInstant) async -> IdempotencyLookup
    /// Stores the successful response of a reserved request.
    func complete(_ scope: IdempotencyScope, fingerprint: UInt64, response: ServerResponse, now: MeshInstant) async
    /// Frees a reserved key whose request failed, so a retry runs again.
    func abandon(_ scope: IdempotencyScope, fingerprint: UInt64) async
}

/// A bounded LRU store with a TTL, in memory. Sendable: its state is an `IdempotencyTable` in a `Mutex`.
public final class InMemoryIdempotencyStore: IdempotencyStore {
    private let table: Mutex<IdempotencyTable>

    public init(capacity: Int = 10_000, ttl: MeshDuration = .seconds(24 * 3600)) {
        table = Mutex(IdempotencyTable(capacity: capacity, ttl: ttl))
    }

    public var count: Int { table.withLock { $0.count } }

    public func begin(_ scope: IdempotencyScope, fingerprint: UInt64, now: MeshInstant) async -> IdempotencyLookup {
        table.withLock { $0.begin(scope, fingerprint: fingerprint, now: now) }
    }

    public func complete(_ scope: IdempotencyScope, fingerprint: UInt64, response: ServerResponse, now: MeshInstant)
        async
    {
        table.withLock { $0.complete(scope, fingerprint: fingerprint, response: response, now: now) }
    }

    public func abandon(_ scope: IdempotencyScope, fingerprint: UInt64) async {
        table.withLock { $0.abandon(scope, fingerprint: fingerprint) }
    }
}
