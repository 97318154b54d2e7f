import MeshCore

/// An order-independent summary of a member table in 64 buckets, for digest anti-entropy: two nodes
/// compare digests and exchange only the members of buckets that differ.
///
/// It covers the members a node holds alive or suspect, itself included (suspicion is transient and
/// spread by gossip; tombstones are left out, so nodes that reap at slightly different times or never
/// heard of a dead member still agree). Byte-exact (proto-spec/membership.md, "State digest"): a member
/// goes to bucket `fnv1a64(utf8 name) mod 64`; its entry hash is `mix(fnv1a64(name) ^ mix(incarnation))`;
/// a bucket is the wrapping sum of its entries' hashes (0 when empty). `mix` is SplitMix64's output
/// function. The root folds the buckets in index order: `r = 0; r = mix(r ^ bucket[i])`.
public struct StateDigest: Hashable, Sendable {
    public static let bucketCount = 64

    public private(set) var buckets: [UInt64]

    public init() { buckets = Array(repeating: 0, count: Self.bucketCount) }

    /// A digest from 64 bucket hashes; nil for any other count.
    public init?(buckets: [UInt64]) {
        guard buckets.count == Self.bucketCount else { return nil }
        self.buckets = buckets
    }

    /// Adds one alive or suspect member at its incarnation.
    public mutating func add(name: String, incarnation: UInt64) {
        let nameHash = Self.fnv1a64(name)
        buckets[Self.bucket(ofNameHash: nameHash)] &+= Self.mix(nameHash ^ Self.mix(incarnation))
    }

    /// One 64-bit summary of all buckets: equal roots mean (almost surely) equal tables.
    public var root: UInt64 {
        var r: UInt64 = 0
        for bucket in buckets { r = Self.mix(r ^ bucket) }
        return r
    }

    /// Indices of the buckets in which `other` differs from this digest.
    public func differingBuckets(from other: StateDigest) -> [Int] {
        (0..<Self.bucketCount).filter { buckets[$0] != other.buckets[$0] }
    }

    // MARK: Hashing

    public static func bucket(of name: String) -> Int { bucket(ofNameHash: fnv1a64(name)) }

    static func bucket(ofNameHash hash: UInt64) -> Int { Int(hash % UInt64(bucketCount)) }

    /// 64-bit FNV-1a over the UTF-8 bytes.
    public static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// SplitMix64's next output for state `x`: `finalize(x + gamma)`.
    public static func mix(_ x: UInt64) -> UInt64 { SplitMix64.finalize(x &+ SplitMix64.gamma) }
}
