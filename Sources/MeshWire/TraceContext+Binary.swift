/// The binary form of a trace context, as `RequestHead` field 5 carries it (proto-spec/rpc.md): 25 bytes,
/// the trace id (`traceIDHigh` then `traceIDLow`, each big-endian: the byte order of the 32 hex digits),
/// the span id big-endian, then the flags byte.
extension TraceContext {
    /// Bytes in the binary form.
    public static let binaryLength = 25

    /// Writes the binary form as bytes field `field`, in place.
    public func encode(_ field: Int, to w: inout PayloadWriter) {
        w.bytesHeader(field, length: Self.binaryLength)
        w.appendBigEndian(traceIDHigh)
        w.appendBigEndian(traceIDLow)
        w.appendBigEndian(spanID)
        w.appendBigEndian(flags)
    }

    /// Decodes the binary form from a bytes field. A length other than 25, an all-zero trace id or a zero
    /// span id is `invalidValue` (the W3C invariants the text form also enforces).
    public init(binary field: PayloadField) throws(WireError) {
        let b = try field.bytes()
        guard b.count == Self.binaryLength else {
            throw WireError(
                .invalidValue, "field \(field.number): a trace context is \(Self.binaryLength) bytes, not \(b.count)")
        }
        let start = b.startIndex
        let high = Self.bigEndian(b, at: start)
        let low = Self.bigEndian(b, at: start + 8)
        let span = Self.bigEndian(b, at: start + 16)
        guard high != 0 || low != 0 else {
            throw WireError(.invalidValue, "field \(field.number): the trace id is all zero")
        }
        guard span != 0 else { throw WireError(.invalidValue, "field \(field.number): the span id is zero") }
        self.init(traceIDHigh: high, traceIDLow: low, spanID: span, flags: b[start + 24])
    }

    /// The 8 bytes from `index` as a big-endian integer (the caller checked they exist).
    private static func bigEndian(_ b: ArraySlice<UInt8>, at index: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in index..<(index + 8) { v = v << 8 | UInt64(b[i]) }
        return v
    }
}
