/// A W3C trace-context position: the trace this call belongs to and the span that made it.
///
/// Invariants: `traceID` is never all zero and `spanID` is never zero (W3C forbids both);
/// `traceparent` and `init(traceparent:)` round-trip exactly for version `00`.
public struct TraceContext: Hashable, Sendable, CustomStringConvertible {
    public var traceIDHigh: UInt64
    public var traceIDLow: UInt64
    public var spanID: UInt64
    /// Bit 0: sampled.
    public var flags: UInt8

    public init(traceIDHigh: UInt64, traceIDLow: UInt64, spanID: UInt64, flags: UInt8 = 1) {
        precondition(traceIDHigh != 0 || traceIDLow != 0, "a trace id is never all zero")
        precondition(spanID != 0, "a span id is never zero")
        self.traceIDHigh = traceIDHigh
        self.traceIDLow = traceIDLow
        self.spanID = spanID
        self.flags = flags
    }

    /// A new trace with a random id (the root of a call tree).
    public static func newTrace(using rng: inout some RandomNumberGenerator) -> TraceContext {
        var high = rng.next() as UInt64
        let low = rng.next() as UInt64
        if high == 0 && low == 0 { high = 1 }
        return TraceContext(traceIDHigh: high, traceIDLow: low, spanID: Self.nonZero(rng.next()))
    }

    /// The same trace with a new span id: the context of a call made from this one.
    public func child(using rng: inout some RandomNumberGenerator) -> TraceContext {
        TraceContext(traceIDHigh: traceIDHigh, traceIDLow: traceIDLow, spanID: Self.nonZero(rng.next()), flags: flags)
    }

    /// Parses a version-00 `traceparent`; nil for anything malformed (W3C: then start a new trace).
    public init?(traceparent: String) {
        var value = traceparent
        let parsed: (UInt64, UInt64, UInt64, UInt64)? = value.withUTF8 { utf8 in
            guard utf8.count == 55, utf8[2] == 0x2D, utf8[35] == 0x2D, utf8[52] == 0x2D,
                utf8[0] == 0x30, utf8[1] == 0x30,
                let high = Self.hex(utf8, 3..<19), let low = Self.hex(utf8, 19..<35),
                let span = Self.hex(utf8, 36..<52), let flags = Self.hex(utf8, 53..<55)
            else { return nil }
            return (high, low, span, flags)
        }
        guard let (high, low, span, flags) = parsed, high != 0 || low != 0, span != 0 else { return nil }
        self.init(traceIDHigh: high, traceIDLow: low, spanID: span, flags: UInt8(flags))
    }

    /// 32 lower-case hex digits.
    public var traceID: String {
        String(unsafeUninitializedCapacity: 32) { out in
            Self.writeHex(traceIDHigh, 16, into: out, at: 0)
            Self.writeHex(traceIDLow, 16, into: out, at: 16)
            return 32
        }
    }

    /// 16 lower-case hex digits.
    public var spanIDString: String {
        String(unsafeUninitializedCapacity: 16) { out in
            Self.writeHex(spanID, 16, into: out, at: 0)
            return 16
        }
    }

    /// The `traceparent` header value (one allocation).
    public var traceparent: String {
        String(unsafeUninitializedCapacity: 55) { out in
            out[0] = 0x30
            out[1] = 0x30
            out[2] = 0x2D
            Self.writeHex(traceIDHigh, 16, into: out, at: 3)
            Self.writeHex(traceIDLow, 16, into: out, at: 19)
            out[35] = 0x2D
            Self.writeHex(spanID, 16, into: out, at: 36)
            out[52] = 0x2D
            Self.writeHex(UInt64(flags), 2, into: out, at: 53)
            return 55
        }
    }

    public var description: String { traceparent }

    private static func nonZero(_ v: UInt64) -> UInt64 { v == 0 ? 1 : v }

    private static func hex(_ utf8: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64? {
        var v: UInt64 = 0
        for i in range {
            let d = utf8[i]
            let n: UInt8
            switch d {
            case 0x30...0x39: n = d - 0x30
            case 0x61...0x66: n = d - 0x61 + 10
            default: return nil  // W3C: lower-case only
            }
            v = v << 4 | UInt64(n)
        }
        return v
    }

    private static func writeHex(_ v: UInt64, _ width: Int, into out: UnsafeMutableBufferPointer<UInt8>, at start: Int)
    {
        let digits: StaticString = "0123456789abcdef"
        for i in 0..<width {
            let nibble = Int((v >> UInt64(4 * (width - 1 - i))) & 0xF)
            out[start + i] = digits.utf8Start[nibble]
        }
    }
}
