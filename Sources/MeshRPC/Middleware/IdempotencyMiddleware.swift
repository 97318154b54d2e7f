import MeshCore

/// Server-side deduplication of commands by their `idempotency-key` (queries pass untouched).
///
/// A command without a key is refused (`invalidArgument`). The first request under a key runs; a repeat of
/// the same request (same method and payload from the same caller) gets the stored response back with
/// response metadata `idempotent-replay: true` and the handler does not run again; a different request
/// under a used key is refused with `invalidArgument`; a repeat while the first is still running gets
/// `aborted`. Failed commands are not stored: a retry runs again.
public struct IdempotencyMiddleware: InlineServerMiddleware {
    public static let maxKeyLength = 128
    let store: any IdempotencyStore
    let clock: any MeshClock

    public init(store: any IdempotencyStore = InMemoryIdempotencyStore(), clock: any MeshClock = SystemClock()) {
        self.store = store
        self.clock = clock
    }

    /// Queries pass untouched, inline too; commands go to the (async) store, so they take the async path.
    public func runsInline(_ call: ServerCall) -> Bool { call.kind != .command }

    public func interceptInline(_ call: ServerCall, next: InlineServerNext) throws(RPCError) -> ServerResponse {
        guard call.kind != .command else {
            throw RPCError(.internal, "\(call.context.method): a command is deduplicated on the async path only")
        }
        return try next(call)
    }

    nonisolated(nonsending) public func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError)
        -> ServerResponse
    {
        guard call.kind == .command else { return try await next(call) }
        let method = call.context.method
        guard let key = call.context.metadata[MetadataKey.idempotencyKey], !key.isEmpty else {
            throw RPCError(.invalidArgument, "\(method) is a command: it needs an \(MetadataKey.idempotencyKey)")
        }
        guard key.utf8.count <= Self.maxKeyLength else {
            throw RPCError(.invalidArgument, "\(method): idempotency key longer than \(Self.maxKeyLength) bytes")
        }
        let scope = IdempotencyScope(peer: call.context.peerName, key: key)
        let fingerprint = IdempotencyTable.fingerprint(method: method, payload: call.payload)
        switch await store.begin(scope, fingerprint: fingerprint, now: clock.now()) {
        case .replay(var stored):
            stored.metadata[MetadataKey.idempotentReplay] = "true"
            return stored
        case .inProgress:
            throw RPCError(.aborted, "\(method): a command with idempotency key \(key) is still running")
        case .mismatch:
            throw RPCError(
                .invalidArgument, "\(method): idempotency key \(key) was already used for a different request")
        case .reserved:
            do {
                let response = try await next(call)
                await store.complete(scope, fingerprint: fingerprint, response: response, now: clock.now())
                return response
            } catch {
                await store.abandon(scope, fingerprint: fingerprint)
                throw error
            }
        }
    }
}
