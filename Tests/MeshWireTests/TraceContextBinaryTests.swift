import MeshWire
import Testing

/// The 25-byte binary trace context of `RequestHead` field 5 (proto-spec/rpc.md).
@Suite struct TraceContextBinaryTests {
    static let w3cExample = TraceContext(
        traceIDHigh: 0x4bf9_2f35_77b3_4da6, traceIDLow: 0xa3ce_929d_0e0e_4736, spanID: 0x00f0_67aa_0ba9_02b7,
        flags: 0x01)

    static func encoded(_ trace: TraceContext, field: Int = 5) -> [UInt8] {
        var w = PayloadWriter()
        trace.encode(field, to: &w)
        return w.bytes
    }

    /// The one field of `bytes`, decoded as a trace context.
    static func decode(_ bytes: [UInt8]) throws -> TraceContext {
        var r = PayloadReader(bytes)
        let field = try #require(try r.next())
        #expect(r.isAtEnd)
        return try TraceContext(binary: field)
    }

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    @Test func theW3CExampleIsTheHexDigitsInOrder() throws {
        let bytes = Self.encoded(Self.w3cExample)
        #expect(bytes == Self.hex("2a19" + "4bf92f3577b34da6a3ce929d0e0e4736" + "00f067aa0ba902b7" + "01"))
        #expect(try Self.decode(bytes) == Self.w3cExample)
        #expect(try Self.decode(bytes).traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    }

    @Test func randomContextsRoundTripExactly() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var t = TraceContext.newTrace(using: &rng)
            t.flags = UInt8.random(in: 0...255, using: &rng)
            let bytes = Self.encoded(t, field: 7)
            #expect(bytes.count == 2 + TraceContext.binaryLength)
            #expect(bytes[0] == 7 << 3 | 2)
            #expect(try Self.decode(bytes) == t)
        }
    }

    @Test func extremeValuesRoundTrip() throws {
        let ones = TraceContext(traceIDHigh: .max, traceIDLow: .max, spanID: .max, flags: .max)
        let lowOnly = TraceContext(traceIDHigh: 0, traceIDLow: 1, spanID: 1, flags: 0)
        #expect(
            Self.encoded(lowOnly) == [0x2a, 0x19] + [UInt8](repeating: 0, count: 15) + [1] + [
                0, 0, 0, 0, 0, 0, 0, 1, 0,
            ])
        #expect(try Self.decode(Self.encoded(ones)) == ones)
        #expect(try Self.decode(Self.encoded(lowOnly)) == lowOnly)
    }

    @Test(arguments: [
        (24, "field 5: a trace context is 25 bytes, not 24"),
        (26, "field 5: a trace context is 25 bytes, not 26"),
        (0, "field 5: a trace context is 25 bytes, not 0"),
    ])
    func aWrongLengthIsRejected(length: Int, message: String) {
        let valid = Array(Self.encoded(Self.w3cExample).dropFirst(2))
        let value = length <= 25 ? Array(valid.prefix(length)) : valid + [UInt8](repeating: 0xAB, count: length - 25)
        let e = wireError { _ = try Self.decode([0x2a, UInt8(length)] + value) }
        #expect(e == WireError(.invalidValue, message))
    }

    @Test func zeroIDsAreRejected() {
        let zeroTrace = [0x2a, 0x19] + [UInt8](repeating: 0, count: 16) + Self.hex("00f067aa0ba902b701")
        #expect(
            wireError { _ = try Self.decode(zeroTrace) }
                == WireError(.invalidValue, "field 5: the trace id is all zero"))
        let zeroSpan =
            [0x2a, 0x19] + Self.hex("4bf92f3577b34da6a3ce929d0e0e4736") + [UInt8](repeating: 0, count: 8) + [1]
        #expect(wireError { _ = try Self.decode(zeroSpan) } == WireError(.invalidValue, "field 5: the span id is zero"))
    }

    @Test func aTraceFieldOfAnotherWireTypeIsRejected() {
        #expect(wireError { _ = try Self.decode([0x28, 0x01]) }?.code == .invalidValue)
    }

    @Test func aRequestHeadWithoutATraceWritesNoField5AndDecodesToNil() throws {
        let plain = RequestHead(method: "m", payload: [1])
        #expect(plain.encoded() == [0x0a, 0x01, 0x6d, 0x22, 0x01, 0x01])
        #expect(try RequestHead(decoding: plain.encoded()).trace == nil)
        let traced = RequestHead(method: "m", trace: Self.w3cExample, payload: [1])
        #expect(traced.encoded() == plain.encoded() + Self.encoded(Self.w3cExample))
        #expect(try RequestHead(decoding: traced.encoded()).trace == Self.w3cExample)
    }

    @Test func aBadTraceFieldRejectsTheWholeRequestHeadWithItsMessage() {
        var zeroSpan = Self.w3cExample
        zeroSpan.spanID = 0  // the fields are public: a caller can break the invariant the encoder trusts
        let bytes = RequestHead(method: "m", trace: zeroSpan, payload: []).encoded()
        #expect(
            wireError { _ = try RequestHead(decoding: bytes) }
                == WireError(.invalidValue, "field 5: the span id is zero"))
    }
}
