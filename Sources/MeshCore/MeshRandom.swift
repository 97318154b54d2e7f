/// A seedable, fast pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// Pure cores take their randomness as an explicit `inout` generator so a seeded run is replayable.
/// Not for keys or nonces: cryptographic randomness comes from libsodium in MeshCrypto.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var sm = seed
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= SplitMix64.gamma
            return SplitMix64.finalize(x)
        }
        s0 = splitmix(&sm)
        s1 = splitmix(&sm)
        s2 = splitmix(&sm)
        s3 = splitmix(&sm)
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a counter advanced by `gamma`, scrambled by `finalize`. Seeds
/// `SeededRandom`, makes trace ids (MeshRPC) and mixes the membership state digest (proto-spec/membership.md).
public enum SplitMix64 {
    /// The counter's step: 2^64 divided by the golden ratio, odd.
    public static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The output function: a bijective scramble of one counter value.
    @inlinable
    public static func finalize(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
