/// Whose log an archive holds: the cluster, the service whose events it is, and the node that wrote it.
///
/// Archived objects are named `cluster/service/node/epoch/segment`, with the epoch as 16 lower-case hex digits
/// and the segment under its own file name (`%020llu.seg`), so one prefix lists one node's whole history and a
/// new epoch (a log created afresh) never collides with an older one. Snapshots, once the log has a snapshot file,
/// go under `cluster/service/node/epoch/snapshots/`.
public struct LogIdentity: Sendable, Hashable, CustomStringConvertible {
    public var cluster: String
    public var service: String
    public var node: String

    /// Each part must be non-empty and free of "/" (it becomes one path segment).
    public init(cluster: String, service: String, node: String) throws(ArchiveError) {
        for (what, value) in [("cluster", cluster), ("service", service), ("node", node)] {
            guard !value.isEmpty, !value.contains("/"), value != ".", value != ".." else {
                throw ArchiveError(.invalidConfiguration, "the \(what) name \"\(value)\" cannot be a path segment")
            }
        }
        self.cluster = cluster
        self.service = service
        self.node = node
    }

    /// `cluster/service/node`.
    public var path: String { "\(cluster)/\(service)/\(node)" }

    /// `cluster/service/node/epoch/segment`.
    public func objectPath(epoch: UInt64, segment: String) -> String { "\(path)/\(Self.epochName(epoch))/\(segment)" }

    public static func epochName(_ epoch: UInt64) -> String {
        let digits = String(epoch, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public static func epoch(named name: some StringProtocol) -> UInt64? {
        name.count == 16 ? UInt64(name, radix: 16) : nil
    }

    public var description: String { path }
}
