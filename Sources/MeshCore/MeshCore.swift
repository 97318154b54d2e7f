/// MeshCore: small shared values used by every layer of Mesh.
///
/// It depends on nothing. It holds time (`MeshInstant`, `MeshDuration`, `MeshClock`),
/// seeded randomness (`SeededRandom`) and the node name type.
public enum MeshCoreInfo {
    /// The version string nodes advertise as their build version.
    public static let version = "0.1.0"
}

/// A node's stable name in the cluster, e.g. `inventory-1`. It is what certificates bind a key to.
public struct NodeName: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (a: NodeName, b: NodeName) -> Bool { a.rawValue < b.rawValue }
}
