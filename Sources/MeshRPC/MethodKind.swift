/// Whether a method only reads (a query) or changes state (a command).
///
/// Invariants: a query may be retried and hedged freely; a command is only ever retried with the same
/// `idempotency-key`, and the server refuses a command that carries none (proto-spec/rpc-metadata.md).
public enum MethodKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case query
    case command

    public var description: String { rawValue }

    /// Queries are idempotent by contract; commands only when deduplicated by key.
    public var isIdempotent: Bool { self == .query }
}
