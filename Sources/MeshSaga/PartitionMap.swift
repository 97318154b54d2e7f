/// Which instance of a stateful service owns a key (proto-spec/hosting.md).
///
/// A service has a fixed number of partitions over a fixed number of stable instances named `<service>-<i>`.
/// `partition(of: key) = FNV-1a-64(UTF-8 bytes of key) mod partitions`, and partition `p` belongs to instance
/// `p mod instances`. Pure and total: the same key, partition count and instance count always give the same
/// owner, whatever membership says (membership only says where that instance is now).
public struct PartitionMap: Hashable, Sendable {
    /// The default number of partitions of a stateful service.
    public static let defaultPartitions = 16

    public let service: String
    public let partitions: Int
    public let instances: Int

    /// Throws when a count is not positive or there are more instances than partitions (an instance would own
    /// nothing).
    public init(service: String, partitions: Int = PartitionMap.defaultPartitions, instances: Int)
        throws(DomainRejection)
    {
        guard !service.isEmpty else { throw DomainRejection("invalidLayout", "a partitioned service needs a name") }
        guard partitions >= 1, instances >= 1, instances <= partitions else {
            throw DomainRejection(
                "invalidLayout",
                "\(service): \(instances) instances over \(partitions) partitions (need 1 ≤ instances ≤ partitions)"
            )
        }
        self.service = service
        self.partitions = partitions
        self.instances = instances
    }

    /// FNV-1a, 64 bits: offset basis `0xcbf29ce484222325`, prime `0x100000001b3`, over the key's UTF-8 bytes.
    public static func fnv1a64(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// The partition of `key`, in `0..<partitions`.
    public func partition(of key: String) -> Int { Int(Self.fnv1a64(key) % UInt64(partitions)) }

    /// The instance index owning partition `partition`, in `0..<instances`.
    public func instanceIndex(ofPartition partition: Int) -> Int { partition % instances }

    /// The instance index owning `key`.
    public func instanceIndex(of key: String) -> Int { instanceIndex(ofPartition: partition(of: key)) }

    /// The stable instance name owning `key` (`inventory-1`).
    public func owner(of key: String) -> String { instanceName(instanceIndex(of: key)) }

    /// `<service>-<index>`.
    public func instanceName(_ index: Int) -> String { Self.instanceName(service: service, index: index) }

    public static func instanceName(service: String, index: Int) -> String { "\(service)-\(index)" }

    /// Every instance name, `<service>-0` first.
    public var instanceNames: [String] { (0..<instances).map(instanceName) }

    /// The index of `name` if it is one of this service's instance names (`<service>-<i>`, `i` in range, written
    /// without leading zeros), else nil.
    public func instanceIndex(named name: String) -> Int? {
        let prefix = service + "-"
        guard name.hasPrefix(prefix) else { return nil }
        let digits = name.dropFirst(prefix.count)
        guard let index = Int(digits), String(index) == digits, index >= 0, index < instances else { return nil }
        return index
    }

    /// The partitions owned by instance `index`.
    public func partitions(ofInstance index: Int) -> [Int] { Array(stride(from: index, to: partitions, by: instances)) }
}
