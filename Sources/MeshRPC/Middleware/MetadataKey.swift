/// Request metadata keys Mesh itself reads and writes (proto-spec/rpc-metadata.md). Lower-case ASCII.
public enum MetadataKey {
    /// W3C trace context: `00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>`.
    public static let traceparent = "traceparent"
    /// W3C vendor trace state; passed through unchanged.
    public static let tracestate = "tracestate"
    /// A command's deduplication key; every retry of one logical command carries the same value.
    public static let idempotencyKey = "idempotency-key"
    /// `command` on a command; absent on a query. The server's own registration is authoritative.
    public static let kind = "mesh-kind"
    /// On a hedged query's extra attempts: how many attempts of the same call were started before this one
    /// (decimal, ≥ 1). Absent on a first attempt.
    public static let previousAttempts = "mesh-previous-attempts"
    /// Response metadata: `true` when a command's stored response was replayed instead of running it again.
    public static let idempotentReplay = "idempotent-replay"
}
