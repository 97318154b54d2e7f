import MeshCore
import MeshWire
import Testing

/// Edge cases of the payload encoding beyond the vectors.
@Suite struct PayloadReaderTests {
    static func readAll(_ bytes: [UInt8]) throws(WireError) -> [PayloadField] {
        var reader = PayloadReader(bytes)
        var fields: [PayloadField] = []
        while let f = try reader.next() { fields.append(f) }
        return fields
    }

    @Test func varintBoundariesRoundTripWithMinimalLength() throws {
        for bits in 0...64 {
            for value in [
                bits == 64 ? UInt64.max : (UInt64(1) << UInt64(bits)) &- 1, UInt64(1) << UInt64(min(bits, 63)),
            ] {
                var w = PayloadWriter()
                w.uint(1, value)
                let significant = 64 - value.leadingZeroBitCount
                #expect(w.bytes.count == 1 + max(1, (significant + 6) / 7), "\(value)")
                #expect(try Self.readAll(w.bytes).first?.uint() == value)
            }
        }
    }

    @Test func zigzagMapsSmallMagnitudesToSmallNumbers() throws {
        let pairs: [(Int64, UInt64)] = [(0, 0), (-1, 1), (1, 2), (-2, 3), (2, 4), (.max, .max - 1), (.min, .max)]
        for (signed, raw) in pairs {
            var w = PayloadWriter()
            w.int(1, signed)
            let field = try #require(try Self.readAll(w.bytes).first)
            #expect(try field.uint() == raw, "\(signed)")
            #expect(try field.int() == signed)
        }
    }

    /// Readers accept non-minimal varints of up to 10 bytes (as protobuf does); writers never emit them.
    @Test func nonMinimalVarintsUpToTenBytesAreAccepted() throws {
        let one = [0x08, 0x81] + Array(repeating: 0x80, count: 8) + [0x00] as [UInt8]
        #expect(try Self.readAll(one).first?.uint() == 1)
    }

    @Test func everyTruncationOfAMessageFailsCleanly() throws {
        let full = RequestHead(
            method: "inventory/Reserve", timeoutMicros: 1 << 40, metadata: ["k": "v", "trace": "t"], payload: [1, 2]
        ).encoded()
        for n in 0..<full.count {
            let error = wireError { _ = try RequestHead(decoding: full.prefix(n)) }
            // A cut on a field boundary is a valid shorter message (or one without its method).
            if let error {
                #expect([WireError.Code.truncatedPayload, .missingField].contains(error.code), "cut at \(n): \(error)")
            }
        }
    }

    @Test func wireTypeMismatchesAreInvalidValues() throws {
        var w = PayloadWriter()
        w.uint(1, 5)
        w.string(2, "x")
        let fields = try Self.readAll(w.bytes)
        #expect(wireError { _ = try fields[0].string() }?.code == .invalidValue)
        #expect(wireError { _ = try fields[0].bytes() }?.code == .invalidValue)
        #expect(wireError { _ = try fields[1].uint() }?.code == .invalidValue)
        // "x" (0x78) read as a message is the key of field 15, varint, with no value after it.
        #expect(wireError { _ = try fields[1].message(PingBody.self) }?.code == .truncatedPayload)
    }

    @Test func integersAcceptAnyIntegerWireTypeAndCheckWidth() throws {
        var w = PayloadWriter()
        w.fixed32(1, 7)
        w.fixed64(2, 1 << 40)
        w.uint(3, UInt64(UInt32.max))
        let fields = try Self.readAll(w.bytes)
        #expect(try fields[0].uint() == 7)
        #expect(try fields[1].uint() == 1 << 40)
        #expect(wireError { _ = try fields[1].uint32() }?.code == .invalidValue)
        #expect(try fields[2].uint32() == .max)
        #expect(try fields[2].bool())
    }

    /// U+212B (e2 84 ab) normalizes to U+00C5, which `String`'s `<` puts before U+00C6 (c3 86);
    /// the spec orders map keys by their UTF-8 bytes, so U+00C6 comes first.
    @Test func mapKeysAreSortedByTheirUTF8Bytes() {
        var w = PayloadWriter()
        w.stringMap(3, ["\u{212B}": "1", "\u{00C6}": "2", "a": "3"])
        var expected = PayloadWriter()
        for (k, v) in [("a", "3"), ("\u{00C6}", "2"), ("\u{212B}", "1")] {
            expected.message(3) { entry in
                entry.string(1, k)
                entry.string(2, v)
            }
        }
        #expect(w.bytes == expected.bytes)
    }

    @Test func readerReportsTheEnd() throws {
        var reader = PayloadReader([])
        #expect(reader.isAtEnd)
        #expect(try reader.next() == nil)
        var one = PayloadReader([0x08, 0x01])
        #expect(!one.isAtEnd)
        #expect(try one.next()?.number == 1)
        #expect(one.isAtEnd)
    }

    @Test func readerWorksOnASliceWithNonZeroStartIndex() throws {
        let bytes: [UInt8] = [0xff, 0xff, 0x08, 0x2a, 0xff]
        var reader = PayloadReader(bytes[2..<4])
        #expect(try reader.next()?.uint() == 42)
        #expect(try reader.next() == nil)
    }
}
