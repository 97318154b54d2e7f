import Testing

@testable import MeshLog

@Suite struct CRC32CTests {
    /// Bit-at-a-time reference implementation.
    private func reference(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        }
        return ~c
    }

    @Test func standardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func matchesBitwiseReferenceAtEveryLengthAndAlignment() {
        let data = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for start in 0..<9 {
            for length in stride(from: 0, through: data.count - start, by: 7) {
                let slice = data[start..<(start + length)]
                #expect(CRC32C.checksum(slice) == reference(Array(slice)))
            }
        }
    }

    @Test func updateContinuesAChecksum() {
        let a = Array("12345".utf8)
        let b = Array("6789".utf8)
        #expect(CRC32C.update(CRC32C.checksum(a), b) == 0xE306_9283)
    }
}
