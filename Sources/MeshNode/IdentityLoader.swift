import MeshCrypto

/// Turns an `IdentitySource` into a `NodeIdentity`, checking that the certificate names this node.
public enum IdentityLoader {
    public static func load(_ source: IdentitySource, name: String, roles: [String]) throws -> NodeIdentity {
        switch source {
        case .development:
            return DevelopmentIdentity.identity(name: name, roles: roles)
        case .files:
            throw NodeError("identity files are not supported yet")
        }
    }
}

/// A node could not start or run: a message an operator can act on.
public struct NodeError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
