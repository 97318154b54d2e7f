import MeshCore
import MeshWire
import NIOCore
import Testing

/// `FrameDecoder` gives the same frames however the stream is cut (NIO's
/// `ByteToMessageDecoderVerifier` idea: drip-fed, coalesced, split at every offset), checks the
/// length prefix before buffering, and leaves version/type to `validated()`.
@Suite struct FrameDecoderTests {
    /// A stream of every valid vector frame plus a few with random bodies, and its frames.
    static func stream() throws -> (bytes: [UInt8], frames: [DecodedFrame]) {
        var frames = try VectorFile.load("frames.txt").filter { $0.name.hasPrefix("frame.") }.map { v in
            try #require(FrameVectorTests.expected[v.name])
        }
        var rng = SeededRandom(seed: 7)
        for size in [0, 1, 200, 1000] {
            let type = FrameType.allCases.randomElement(using: &rng)!
            frames.append(DecodedFrame(header: FrameHeader(type: type, streamID: 41), body: rng.bytes(size)))
        }
        return (frames.flatMap(\.encoded), frames)
    }

    @Test func coalescedStreamDecodesToEveryFrame() throws {
        let (bytes, frames) = try Self.stream()
        #expect(decode(bytes, pieceSizes: [bytes.count]) == DecodeOutcome(frames: frames))
    }

    @Test func dripFedStreamDecodesToTheSameFrames() throws {
        let (bytes, frames) = try Self.stream()
        #expect(decode(bytes, pieceSizes: [1]) == DecodeOutcome(frames: frames))
    }

    @Test func streamSplitAtEveryOffsetDecodesToTheSameFrames() throws {
        let (bytes, frames) = try Self.stream()
        for cut in 1..<bytes.count {
            let outcome = decode(bytes, pieceSizes: [cut, bytes.count])
            #expect(outcome == DecodeOutcome(frames: frames), "cut at \(cut)")
        }
    }

    @Test func randomChunkingDecodesToTheSameFrames() throws {
        let (bytes, frames) = try Self.stream()
        var rng = SeededRandom(seed: 11)
        for _ in 0..<200 {
            let sizes = (0..<16).map { _ in Int.random(in: 1...40, using: &rng) }
            #expect(decode(bytes, pieceSizes: sizes) == DecodeOutcome(frames: frames), "pieces \(sizes)")
        }
    }

    @Test func incompleteFrameConsumesNothing() throws {
        let frame = try #require(FrameVectorTests.expected["frame.request"]).encoded
        for n in 0..<frame.count {
            var buffer = ByteBuffer(bytes: frame.prefix(n))
            let got = try FrameDecoder().decode(buffer: &buffer)
            #expect(got == nil, "prefix of \(n) bytes")
            #expect(buffer.readableBytes == n, "prefix of \(n) bytes")
        }
    }

    @Test func lengthPrefixOfFourGiBIsRejectedFromTheFourPrefixBytes() throws {
        var three = ByteBuffer(bytes: [0xff, 0xff, 0xff])
        #expect(try FrameDecoder().decode(buffer: &three) == nil)
        var four = ByteBuffer(bytes: [0xff, 0xff, 0xff, 0xff])
        #expect(wireError { _ = try FrameDecoder().decode(buffer: &four) }?.code == .frameTooLarge)
    }

    @Test func lengthPrefixBelowTheHeaderIsRejected() {
        for length: UInt32 in 0..<8 {
            var buffer = ByteBuffer()
            buffer.writeInteger(length)
            #expect(wireError { _ = try FrameDecoder().decode(buffer: &buffer) }?.code == .frameTooShort, "\(length)")
        }
    }

    @Test func bodyLimitIsInclusive() throws {
        let decoder = FrameDecoder(maxBodyLength: 16)
        let atLimit = DecodedFrame(
            header: FrameHeader(type: .ping, streamID: 0), body: Array(repeating: 0xab, count: 16))
        #expect(decode(atLimit.encoded, pieceSizes: [1], decoder: decoder) == DecodeOutcome(frames: [atLimit]))
        var over = ByteBuffer()
        over.writeInteger(UInt32(8 + 17))
        #expect(wireError { _ = try decoder.decode(buffer: &over) }?.code == .frameTooLarge)
        #expect(FrameDecoder().maxBodyLength == 4 * 1024 * 1024)
    }

    @Test func errorAfterGoodFramesKeepsTheGoodFrames() throws {
        let good = try #require(FrameVectorTests.expected["frame.ping"])
        let bytes = good.encoded + [0x00, 0x00, 0x00, 0x03]
        #expect(decode(bytes, pieceSizes: [1]) == DecodeOutcome(frames: [good], error: .frameTooShort))
        #expect(decode(bytes, pieceSizes: [bytes.count]) == DecodeOutcome(frames: [good], error: .frameTooShort))
    }

    @Test func decoderDoesNotCheckVersionOrTypeButValidatedDoes() throws {
        for version in [0, 1, 2, 255] as [UInt8] {
            for rawType in UInt8.min...UInt8.max {
                let header = FrameHeader(version: version, rawType: rawType, flags: 0, streamID: 9)
                let frame = DecodedFrame(header: header, body: [1])
                #expect(decode(frame.encoded, pieceSizes: [100]).frames == [frame])
                var validType: FrameType?
                let error = wireError { validType = try header.validated() }
                if version != 1 {
                    #expect(error?.code == .unsupportedVersion, "version \(version) type \(rawType)")
                } else if FrameType(rawValue: rawType) == nil {
                    #expect(error?.code == .unknownFrameType, "type \(rawType)")
                } else {
                    #expect(error == nil && validType?.rawValue == rawType, "type \(rawType)")
                }
            }
        }
    }

    /// Frame type numbers are part of the protocol (proto-spec/framing.md).
    @Test func frameTypeNumbersArePinned() {
        #expect(
            FrameType.allCases.map(\.rawValue) == [0x01, 0x02, 0x03, 0x04, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16])
        #expect(FrameHeader.currentVersion == 1)
        #expect(FrameHeader.size == 8)
        #expect(FrameHeader.prefixAndHeaderSize == 12)
    }

    @Test func prefixAndHeaderAreWrittenBigEndian() {
        var out = ByteBuffer()
        let header = FrameHeader(version: 1, rawType: 0x10, flags: 0x0102, streamID: 0x0304_0506)
        Frame.writePrefixAndHeader(header, bodyLength: 0x10, into: &out)
        #expect(out.readBytes(length: out.readableBytes) == [0, 0, 0, 0x18, 1, 0x10, 1, 2, 3, 4, 5, 6])
        let frame = Frame(header: header, body: ByteBuffer(bytes: [9, 9]))
        #expect(frame.lengthPrefix == 10)
    }
}
