import Testing

@testable import MeshLog

/// Byte-exact vectors; the same bytes appear in proto-spec/log-format.md.
@Suite struct RecordFormatTests {
    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test func recordEncodingIsByteExact() throws {
        var bytes: [UInt8] = []
        let record = NewRecord(type: 7, streamKey: "order-42", payload: Array("hello".utf8))
        RecordCodec.encode(record, sequence: 1, timestamp: 1_700_000_000_000_000_000, into: &bytes)
        #expect(
            hex(bytes)
                == "29000000010000000000000000002a36fe9c9717070008006f726465722d343268656c6c6f0bce5c3b"
        )
        guard case .record(let decoded, let length) = RecordCodec.decode(bytes[...], at: 0, maxRecordBytes: 1024)
        else {
            Issue.record("vector did not decode")
            return
        }
        #expect(length == 41)
        #expect(
            decoded
                == LogRecord(
                    sequence: 1, timestamp: 1_700_000_000_000_000_000, type: 7, streamKey: "order-42",
                    payload: Array("hello".utf8)
                )
        )
    }

    @Test func decodeDistinguishesIncompleteFromInvalid() {
        var bytes: [UInt8] = []
        RecordCodec.encode(
            NewRecord(type: 1, streamKey: "k", payload: [1, 2, 3]), sequence: 9, timestamp: 0, into: &bytes)
        guard case .incomplete = RecordCodec.decode(bytes.dropLast(1), at: 0, maxRecordBytes: 1024) else {
            Issue.record("a short record must be incomplete")
            return
        }
        guard case .incomplete = RecordCodec.decode(bytes[0..<3], at: 0, maxRecordBytes: 1024) else {
            Issue.record("a partial length field must be incomplete")
            return
        }
        var flipped = bytes
        flipped[26] ^= 0x01
        guard case .invalid(let reason) = RecordCodec.decode(flipped[...], at: 0, maxRecordBytes: 1024) else {
            Issue.record("a flipped payload bit must be invalid")
            return
        }
        #expect(reason.hasPrefix("checksum mismatch"))
        guard case .invalid(let tooLong) = RecordCodec.decode(bytes[...], at: 0, maxRecordBytes: 20) else {
            Issue.record("a length above the maximum must be invalid")
            return
        }
        #expect(tooLong == "implausible record length 32")
    }

    @Test func segmentHeaderAndManifestAreByteExact() throws {
        let header = LogLayout.encodeSegmentHeader(epoch: 0x0123_4567_89AB_CDEF, baseSequence: 1)
        #expect(hex(header) == "4d455348534547310100000000000000efcdab896745230101000000000000004761172700000000")
        #expect(LogLayout.validateSegmentHeader(header, epoch: 0x0123_4567_89AB_CDEF, baseSequence: 1) == nil)
        #expect(
            LogLayout.validateSegmentHeader(header, epoch: 5, baseSequence: 1)
                == "segment epoch 81985529216486895 differs from manifest epoch 5"
        )
        let manifest = LogLayout.encodeManifest(epoch: 0x0123_4567_89AB_CDEF, createdAt: 1_700_000_000_000_000_000)
        #expect(hex(manifest) == "4d4553484c4f474d0100000000000000efcdab896745230100002a36fe9c97179b9bb8fb")
        #expect(try LogLayout.decodeManifest(manifest, file: "M") == 0x0123_4567_89AB_CDEF)
    }

    @Test func segmentNamesRoundTrip() {
        #expect(LogLayout.segmentName(baseSequence: 42) == "00000000000000000042.seg")
        #expect(LogLayout.baseSequence(ofSegmentNamed: "00000000000000000042.seg") == 42)
        #expect(LogLayout.baseSequence(ofSegmentNamed: "42.seg") == nil)
        #expect(LogLayout.baseSequence(ofSegmentNamed: "00000000000000000042.seg.tmp") == nil)
    }
}
