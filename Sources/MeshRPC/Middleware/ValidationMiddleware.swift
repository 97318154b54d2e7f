import MeshWire

/// Checks requests before their handler runs: a method with rules gets its request decoded and checked;
/// the first failing rule ends the call with `invalidArgument` and the rule's message. Methods without
/// rules pass untouched (no decode).
public struct ValidationMiddleware: CheckingServerMiddleware {
    typealias Rule = @Sendable (ArraySlice<UInt8>) -> String?
    private var rules: [String: [Rule]] = [:]

    public init() {}

    /// Adds a rule for `descriptor`: `check` returns nil if the request is valid, else what is wrong.
    public mutating func validate<Req, Resp>(
        _ descriptor: MethodDescriptor<Req, Resp>,
        _ check: @escaping @Sendable (Req) -> String?
    ) {
        rules[descriptor.path, default: []].append { bytes in
            do throws(WireError) {
                return check(try Req(decoding: bytes))
            } catch {
                return "request does not decode as \(Req.self): \(error.message)"
            }
        }
    }

    public func check(_ call: ServerCall) throws(RPCError) {
        guard !rules.isEmpty, let methodRules = rules[call.context.method] else { return }
        for rule in methodRules {
            if let problem = rule(call.payload) {
                throw RPCError(.invalidArgument, "\(call.context.method): \(problem)")
            }
        }
    }
}
