import MeshWire
import Testing

/// proto-spec/vectors/rpc-messages.txt: every RPC body encodes byte-exactly and decodes to its
/// value; unknown fields are skipped; malformed bodies fail with their stated code.
@Suite struct RPCMessageVectorTests {
    /// A typed expectation, so one table can hold every message type.
    struct Expected: Sendable {
        var encoded: @Sendable () -> [UInt8]
        var decodesToIt: @Sendable (ArraySlice<UInt8>) throws(WireError) -> Bool

        static func value<M: WireMessage & Equatable>(_ m: M) -> Expected {
            Expected(encoded: { m.encoded() }, decodesToIt: { bytes throws(WireError) in try M(decoding: bytes) == m })
        }
    }

    static let decoders: [String: @Sendable (ArraySlice<UInt8>) throws(WireError) -> Void] = [
        "RequestHead": { bytes throws(WireError) in _ = try RequestHead(decoding: bytes) },
        "ResponseHead": { bytes throws(WireError) in _ = try ResponseHead(decoding: bytes) },
        "CancelBody": { bytes throws(WireError) in _ = try CancelBody(decoding: bytes) },
        "PingBody": { bytes throws(WireError) in _ = try PingBody(decoding: bytes) },
        "GoAwayBody": { bytes throws(WireError) in _ = try GoAwayBody(decoding: bytes) },
        "SettingsBody": { bytes throws(WireError) in _ = try SettingsBody(decoding: bytes) },
    ]

    static let expected: [String: Expected] = [
        "RequestHead.minimal": .value(RequestHead(method: "inventory/Reserve", payload: [])),
        "RequestHead.full": .value(
            RequestHead(
                method: "inventory/Reserve", timeoutMicros: 250_000,
                metadata: ["traceparent": FrameVectorTests.trace, "idempotency-key": "k-42"], payload: [1, 2, 3]
            )
        ),
        "RequestHead.traced": .value(
            RequestHead(
                method: "inventory/Reserve",
                trace: TraceContext(
                    traceIDHigh: 0x4bf9_2f35_77b3_4da6, traceIDLow: 0xa3ce_929d_0e0e_4736,
                    spanID: 0x00f0_67aa_0ba9_02b7,
                    flags: 0x01),
                payload: [1, 2, 3]
            )
        ),
        "RequestHead.decode-only.last-value-wins": .value(RequestHead(method: "b", timeoutMicros: 7, payload: [])),
        "RequestHead.decode-only.unsorted-map": .value(
            RequestHead(method: "m", metadata: ["a": "2", "z": "1"], payload: [])
        ),
        "RequestHead.decode-only.unknown-fields": .value(
            RequestHead(method: "m", metadata: ["": "v", "k": ""], payload: [0x09])
        ),
        "ResponseHead.ok-empty": .value(ResponseHead(status: .ok)),
        "ResponseHead.ok": .value(ResponseHead(status: .ok, payload: [0x2a])),
        "ResponseHead.deadlineExceeded": .value(
            ResponseHead(
                status: RPCStatus(code: .deadlineExceeded, message: "deadline exceeded after 250 ms"),
                metadata: ["retry-after-ms": "100"]
            )
        ),
        "ResponseHead.unknown-code": .value(ResponseHead(status: RPCStatus(code: .init(rawValue: 99)))),
        "CancelBody.reason": .value(CancelBody(reason: "client gave up")),
        "CancelBody.empty": .value(CancelBody(reason: "")),
        "PingBody.opaque": .value(PingBody(opaque: 0x0123_4567_89ab_cdef)),
        "PingBody.zero": .value(PingBody(opaque: 0)),
        "PingBody.decode-only.unknown-fields": .value(PingBody(opaque: 0x1122_3344_5566_7788)),
        "GoAwayBody.draining": .value(
            GoAwayBody(lastStreamID: 7, status: RPCStatus(code: .unavailable, message: "node draining"))
        ),
        "GoAwayBody.zero": .value(GoAwayBody(lastStreamID: 0, status: .ok)),
        "GoAwayBody.unknown-frame-type": .value(
            GoAwayBody(
                lastStreamID: 5,
                status: RPCStatus(
                    code: .unimplemented, message: "unknownFrameType: frame type 0x7f is not defined in version 1"
                )
            )
        ),
        "SettingsBody.defaults": .value(SettingsBody(maxConcurrentStreams: 100, maxBodyLength: 4_194_304)),
        "SettingsBody.small": .value(SettingsBody(maxConcurrentStreams: 1, maxBodyLength: 65_536)),
        "SettingsBody.minimum-body-limit": .value(SettingsBody(maxConcurrentStreams: 100, maxBodyLength: 16_384)),
        "SettingsBody.decode-only.empty": .value(SettingsBody(maxConcurrentStreams: 100, maxBodyLength: 4_194_304)),
    ]

    static func isReject(_ v: Vector) -> Bool { v.name.contains(".reject.") }

    @Test func everyVectorHasAMeaning() throws {
        let vectors = try VectorFile.load("rpc-messages.txt")
        #expect(Set(vectors.filter { !Self.isReject($0) }.map(\.name)) == Set(Self.expected.keys))
        for v in vectors where Self.isReject(v) {
            #expect(VectorFile.rejectCode(v.name) != nil, "\(v.name) names no known WireError code")
        }
        // Every message type has at least one vector.
        #expect(Set(vectors.map { String($0.name.prefix { $0 != "." }) }) == Set(Self.decoders.keys))
    }

    @Test func messagesEncodeByteExactlyAndDecodeToTheirValues() throws {
        for v in try VectorFile.load("rpc-messages.txt") where !Self.isReject(v) {
            let want = try #require(Self.expected[v.name])
            if !v.name.contains(".decode-only.") {
                #expect(want.encoded() == v.bytes, "\(v.name): encoding differs")
            }
            #expect(try want.decodesToIt(v.bytes[...]), "\(v.name): decodes to a different value")
        }
    }

    @Test func malformedMessagesFailWithTheirCode() throws {
        for v in try VectorFile.load("rpc-messages.txt") where Self.isReject(v) {
            let code = try #require(VectorFile.rejectCode(v.name))
            let decoder = try #require(Self.decoders[String(v.name.prefix { $0 != "." })])
            #expect(wireError { try decoder(v.bytes[...]) }?.code == code, "\(v.name)")
        }
    }

    /// Status numbers are gRPC's; pin them so no one renumbers one.
    @Test func statusCodesHaveTheGRPCNumbers() {
        let codes: [RPCStatus.Code] = [
            .ok, .cancelled, .unknown, .invalidArgument, .deadlineExceeded, .notFound, .alreadyExists,
            .permissionDenied, .resourceExhausted, .failedPrecondition, .aborted, .outOfRange, .unimplemented,
            .internal, .unavailable, .dataLoss, .unauthenticated,
        ]
        #expect(codes.map(\.rawValue) == Array(0...16))
        #expect(RPCStatus.Code.deadlineExceeded.description == "deadlineExceeded")
        #expect(RPCStatus.Code(rawValue: 99).description == "code(99)")
    }
}
