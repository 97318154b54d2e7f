import MeshWire
import NIOCore
import Testing

/// proto-spec/vectors/frames.txt: every frame type encodes byte-exactly and decodes to its stated
/// header and body; every reject case fails with its stated code.
@Suite struct FrameVectorTests {
    static let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    static func frame(_ type: FrameType, stream: UInt32, flags: UInt16 = 0, _ body: [UInt8]) -> DecodedFrame {
        DecodedFrame(header: FrameHeader(type: type, flags: flags, streamID: stream), body: body)
    }

    /// The meaning of each `frame.*` vector, written with the Swift API.
    static let expected: [String: DecodedFrame] = [
        "frame.hello": frame(.hello, stream: 0, [0xde, 0xad, 0xbe, 0xef]),
        "frame.welcome": frame(.welcome, stream: 0, [0x01, 0x02]),
        "frame.auth": frame(.auth, stream: 0, [0x03]),
        "frame.settings": frame(
            .settings, stream: 0, SettingsBody(maxConcurrentStreams: 100, maxBodyLength: 4_194_304).encoded()
        ),
        "frame.request": frame(
            .request, stream: 1,
            RequestHead(method: "inventory/Reserve", timeoutMicros: 250_000, payload: [0x01]).encoded()
        ),
        "frame.response": frame(.response, stream: 1, ResponseHead(status: .ok, payload: [0x2a]).encoded()),
        "frame.message": frame(.message, stream: 3, RequestHead(method: "audit/Record", payload: [0x07]).encoded()),
        "frame.cancel": frame(.cancel, stream: 1, CancelBody(reason: "client gave up").encoded()),
        "frame.cancel-empty": frame(.cancel, stream: 5, []),
        "frame.ping": frame(.ping, stream: 0, PingBody(opaque: 0x0123_4567_89ab_cdef).encoded()),
        "frame.pong": frame(.pong, stream: 0, PingBody(opaque: 0x0123_4567_89ab_cdef).encoded()),
        "frame.goAway": frame(
            .goAway, stream: 0,
            GoAwayBody(lastStreamID: 7, status: RPCStatus(code: .unavailable, message: "node draining")).encoded()
        ),
        "frame.ping-reserved-flags": frame(.ping, stream: 0, flags: 0x8001, PingBody(opaque: 1).encoded()),
    ]

    @Test func everyVectorHasAMeaningAndEveryFrameTypeIsCovered() throws {
        let vectors = try VectorFile.load("frames.txt")
        let valid = vectors.filter { $0.name.hasPrefix("frame.") }
        #expect(Set(valid.map(\.name)) == Set(Self.expected.keys))
        #expect(Set(Self.expected.values.compactMap(\.header.type)) == Set(FrameType.allCases))
        for v in vectors where !v.name.hasPrefix("frame.") {
            #expect(VectorFile.rejectCode(v.name) != nil, "\(v.name) names no known WireError code")
        }
    }

    @Test func validFramesEncodeByteExactlyAndDecodeToTheirMeaning() throws {
        for v in try VectorFile.load("frames.txt") where v.name.hasPrefix("frame.") {
            let want = try #require(Self.expected[v.name])
            #expect(want.encoded == v.bytes, "\(v.name): encoding differs")
            let outcome = decode(v.bytes, pieceSizes: [v.bytes.count])
            #expect(outcome == DecodeOutcome(frames: [want]), "\(v.name)")
            #expect(wireError { _ = try want.header.validated() } == nil, "\(v.name)")
        }
    }

    @Test func rejectVectorsFailWithTheirCode() throws {
        for v in try VectorFile.load("frames.txt") where !v.name.hasPrefix("frame.") {
            let code = try #require(VectorFile.rejectCode(v.name))
            let outcome = decode(v.bytes, pieceSizes: [v.bytes.count])
            if let error = outcome.error {
                #expect(error == code, "\(v.name)")
                #expect(outcome.frames.isEmpty, "\(v.name)")
            } else {
                let frame = try #require(outcome.frames.first, "\(v.name): decoder wanted more bytes")
                #expect(wireError { _ = try frame.header.validated() }?.code == code, "\(v.name)")
            }
        }
    }

    /// The length checks need only the 4-byte prefix: a reject vector of that kind fails when
    /// exactly its first 4 bytes have arrived.
    @Test func lengthRejectsNeedOnlyThePrefix() throws {
        for v in try VectorFile.load("frames.txt")
        where v.name.hasPrefix("reject.frameTooLarge") || v.name.hasPrefix("reject.frameTooShort") {
            var buffer = ByteBuffer(bytes: v.bytes.prefix(4))
            let error = wireError { _ = try FrameDecoder().decode(buffer: &buffer) }
            #expect(error?.code == VectorFile.rejectCode(v.name), "\(v.name)")
        }
    }
}
