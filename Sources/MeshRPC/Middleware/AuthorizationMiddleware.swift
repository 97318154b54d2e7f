/// Refuses a call with `permissionDenied` before its handler runs unless the caller's certificate roles
/// (verified by the handshake) satisfy the `AuthorizationPolicy`.
public struct AuthorizationMiddleware: ServerMiddleware {
    public let policy: AuthorizationPolicy

    public init(_ policy: AuthorizationPolicy) { self.policy = policy }

    public func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError) -> ServerResponse {
        if let refusal = policy.check(method: call.context.method, peer: call.context.peerName, roles: call.context.peerRoles) {
            throw refusal
        }
        return try await next(call)
    }
}
