/// Refuses a call with `permissionDenied` before its handler runs unless the caller's certificate roles
/// (verified by the handshake) satisfy the `AuthorizationPolicy`.
public struct AuthorizationMiddleware: CheckingServerMiddleware {
    public let policy: AuthorizationPolicy

    public init(_ policy: AuthorizationPolicy) { self.policy = policy }

    public func check(_ call: ServerCall) throws(RPCError) {
        if let refusal = policy.check(
            method: call.context.method, peer: call.context.peerName, roles: call.context.peerRoles)
        {
            throw refusal
        }
    }
}
