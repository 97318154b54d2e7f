import MeshWire

/// Client side of commands: marks them `mesh-kind: command` and gives each an `idempotency-key` if the
/// caller set none (128 random bits, hex). Place it before the retry middleware: every attempt of one
/// call then carries the same key. Callers that retry across process restarts should set their own key.
public struct CommandKeyMiddleware: ClientMiddleware {
    public init() {}

    nonisolated(nonsending) public func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError)
        -> ResponseHead
    {
        guard call.kind == .command else { return try await next(call) }
        var call = call
        Self.stamp(&call)
        return try await next(call)
    }

    /// Marks a command `mesh-kind: command` and gives it a key if it has none; a query is left alone.
    static func stamp(_ call: inout ClientCall) {
        guard call.kind == .command else { return }
        call.metadata[MetadataKey.kind] = MethodKind.command.rawValue
        if call.metadata[MetadataKey.idempotencyKey]?.isEmpty ?? true {
            var rng = SystemRandomNumberGenerator()
            call.metadata[MetadataKey.idempotencyKey] = Self.newKey(using: &rng)
        }
    }

    /// 32 lower-case hex digits.
    public static func newKey(using rng: inout some RandomNumberGenerator) -> String {
        let a = rng.next() as UInt64
        let b = rng.next() as UInt64
        return hex(a) + hex(b)
    }

    private static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
