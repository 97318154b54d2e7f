import MeshLog

/// The deterministic record a torture writer appends for a key, so any record found later can be checked alone.
enum TorturePayload {
    static let recordType: UInt16 = 0x7017

    static func bytes(for key: String, count: Int) -> [UInt8] {
        var state = fnv1a(key)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: splitMix(&state) >> 24) }
    }

    static func record(key: String, payloadBytes: Int) -> NewRecord {
        NewRecord(type: recordType, streamKey: key, payload: bytes(for: key, count: payloadBytes))
    }

    private static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }

    /// SplitMix64 step; also the crash tester's source of random delays.
    static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
