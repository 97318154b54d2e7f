/// Which certificate roles may call which methods.
///
/// Rules are `pattern → roles`: a pattern is an exact `service/method`, `service/*`, or `*`. For a call the
/// most specific matching rule applies (exact, then service, then `*`); the caller must hold at least one of
/// its roles, where the role `anyCaller` admits every authenticated caller. A method no rule matches is allowed if
/// `allowsUnmatched`, refused otherwise.
public struct AuthorizationPolicy: Sendable, Hashable {
    private var exact: [String: Set<String>] = [:]
    private var services: [String: Set<String>] = [:]
    private var anyMethod: Set<String>?
    public var allowsUnmatched: Bool

    /// A rule holding this role admits any authenticated caller (e.g. an exception under a stricter `service/*` rule).
    public static let anyCaller = "*"

    public init(allowsUnmatched: Bool = true) { self.allowsUnmatched = allowsUnmatched }

    /// Requires one of `roles` for calls matching `pattern`; a second rule for the same pattern adds roles.
    public mutating func requireRoles(_ roles: [String], for pattern: String) {
        if pattern == "*" {
            anyMethod = (anyMethod ?? []).union(roles)
        } else if pattern.hasSuffix("/*") {
            services[String(pattern.dropLast(2)), default: []].formUnion(roles)
        } else {
            precondition(pattern.contains("/") && !pattern.contains("*"), "pattern is service/method, service/* or *")
            exact[pattern, default: []].formUnion(roles)
        }
    }

    /// The roles that admit a call to `method`; nil if no rule matches.
    public func requiredRoles(for method: String) -> Set<String>? {
        if !exact.isEmpty, let r = exact[method] { return r }
        if !services.isEmpty, let r = serviceRoles(of: method) { return r }
        return anyMethod
    }

    /// The roles of the `service/*` rule for `method`'s service, if any. A node has few such rules: they are compared
    /// with the path's start (no string is made or hashed per call); many are looked up by hash.
    private func serviceRoles(of method: String) -> Set<String>? {
        guard services.count <= 8 else { return services[String(MethodPath.service(of: method))] }
        for (service, roles) in services where MethodPath.isService(service, of: method) {
            return roles
        }
        return nil
    }

    /// nil if a caller holding `roles` may call `method`, else the `permissionDenied` error to return.
    public func check(method: String, peer: String, roles: [String]) -> RPCError? {
        guard let required = requiredRoles(for: method) else {
            return allowsUnmatched ? nil : RPCError(.permissionDenied, "\(method): no rule admits any caller")
        }
        if required.contains(Self.anyCaller) || roles.contains(where: required.contains) { return nil }
        return RPCError(
            .permissionDenied,
            "\(method) requires one of the roles \(required.sorted()); \(peer) has \(roles.sorted())"
        )
    }
}
