/// The payload encoding: a tag-length-value format, byte-compatible with the Protocol Buffers
/// wire format (proto-spec/encoding.md). A message is a sequence of fields; each field is a varint
/// key `(fieldNumber << 3) | wireType` followed by its value:
///
/// | wire type | name    | value                                             |
/// |-----------|---------|---------------------------------------------------|
/// | 0         | varint  | LEB128, at most 10 bytes                          |
/// | 1         | fixed64 | 8 bytes little-endian                             |
/// | 2         | bytes   | varint length, then that many bytes               |
/// | 5         | fixed32 | 4 bytes little-endian                             |
///
/// Unknown field numbers are skipped, which is what lets a newer peer talk to an older one.
/// Lists are repeated fields, maps are repeated entries `{1: key, 2: value}`, absent optional
/// fields are simply not written.
public enum WireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case bytes = 2
    case fixed32 = 5
}

/// Appends fields to a growing byte array. Writing never fails.
public struct PayloadWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Forgets what was written but keeps the storage, so one writer can encode many messages in turn.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    @inlinable
    public static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ type: WireType) {
        precondition(field > 0 && field < (1 << 29), "field numbers are 1...2^29-1")
        PayloadWriter.appendVarint(UInt64(field) << 3 | UInt64(type.rawValue), to: &bytes)
    }

    /// Appends bytes that are already an encoding (a whole message, or fields of one).
    public mutating func raw<C: Collection>(_ encoded: C) where C.Element == UInt8 {
        bytes.append(contentsOf: encoded)
    }

    /// Unsigned integer (wire type 0).
    public mutating func uint(_ field: Int, _ value: UInt64) {
        key(field, .varint)
        PayloadWriter.appendVarint(value, to: &bytes)
    }

    /// Signed integer, zigzag-encoded (wire type 0): 0, -1, 1, -2 … map to 0, 1, 2, 3 …
    public mutating func int(_ field: Int, _ value: Int64) {
        uint(field, UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Boolean as varint 0 or 1.
    public mutating func bool(_ field: Int, _ value: Bool) { uint(field, value ? 1 : 0) }

    /// 8 bytes little-endian (wire type 1).
    public mutating func fixed64(_ field: Int, _ value: UInt64) {
        key(field, .fixed64)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// 4 bytes little-endian (wire type 5).
    public mutating func fixed32(_ field: Int, _ value: UInt32) {
        key(field, .fixed32)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Raw bytes (wire type 2).
    public mutating func bytes<C: Collection>(_ field: Int, _ value: C) where C.Element == UInt8 {
        key(field, .bytes)
        PayloadWriter.appendVarint(UInt64(value.count), to: &bytes)
        bytes.append(contentsOf: value)
    }

    /// The key and length of a bytes field (wire type 2) whose `length` bytes the caller appends next with
    /// `appendBigEndian(_:)`: a fixed-size value written in place, without an intermediate array.
    public mutating func bytesHeader(_ field: Int, length: Int) {
        precondition(length >= 0, "a length is never negative")
        key(field, .bytes)
        PayloadWriter.appendVarint(UInt64(length), to: &bytes)
    }

    /// Appends `value` as `T.bitWidth / 8` bytes, most significant first (no key: part of a bytes field's value).
    public mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// UTF-8 string (wire type 2).
    public mutating func string(_ field: Int, _ value: String) {
        var value = value
        value.withUTF8 { bytes(field, $0) }  // no intermediate array (native strings are contiguous UTF-8)
    }

    /// A nested message (wire type 2).
    public mutating func message(_ field: Int, _ build: (inout PayloadWriter) -> Void) {
        var inner = PayloadWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }

    /// A nested message (wire type 2).
    public mutating func message<M: WireMessage>(_ field: Int, _ value: M) {
        message(field) { value.encode(to: &$0) }
    }

    /// A map as repeated entries `{1: key, 2: value}`, written in key order so encodings are stable.
    /// The order is byte-wise on the keys' UTF-8 (proto-spec/encoding.md), not `String`'s `<`,
    /// which compares Unicode-normalized forms and so can differ for non-ASCII keys.
    public mutating func stringMap(_ field: Int, _ map: [String: String]) {
        if map.isEmpty { return }
        if map.count == 1, let (k, v) = map.first {
            stringMapEntry(field, k, v)
            return
        }
        for (k, v) in map.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            stringMapEntry(field, k, v)
        }
    }

    /// One `{1: key, 2: value}` entry, written in place (the same bytes as `message(field) { … }`).
    private mutating func stringMapEntry(_ field: Int, _ k: String, _ v: String) {
        let kn = k.utf8.count
        let vn = v.utf8.count
        let length = 2 + Self.varintSize(UInt64(kn)) + kn + Self.varintSize(UInt64(vn)) + vn
        key(field, .bytes)
        PayloadWriter.appendVarint(UInt64(length), to: &bytes)
        string(1, k)
        string(2, v)
    }

    /// The number of bytes `appendVarint` writes for `value`.
    static func varintSize(_ value: UInt64) -> Int {
        var n = 1
        var v = value
        while v >= 0x80 {
            v >>= 7
            n += 1
        }
        return n
    }
}

/// One decoded field: its number and its raw value.
public struct PayloadField: Sendable {
    public enum Value: Sendable {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case bytes(ArraySlice<UInt8>)
    }

    public var number: Int
    public var value: Value

    private func typeError(_ want: String) -> WireError {
        WireError(.invalidValue, "field \(number) should be \(want) but has wire type \(value.wireTypeName)")
    }

    public func uint() throws(WireError) -> UInt64 {
        switch value {
        case .varint(let v), .fixed64(let v): return v
        case .fixed32(let v): return UInt64(v)
        case .bytes: throw typeError("an integer")
        }
    }

    public func uint32() throws(WireError) -> UInt32 {
        let v = try uint()
        guard v <= UInt64(UInt32.max) else {
            throw WireError(.invalidValue, "field \(number): \(v) does not fit 32 bits")
        }
        return UInt32(v)
    }

    public func int() throws(WireError) -> Int64 {
        let v = try uint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    public func bool() throws(WireError) -> Bool { try uint() != 0 }

    public func bytes() throws(WireError) -> ArraySlice<UInt8> {
        guard case .bytes(let b) = value else { throw typeError("bytes") }
        return b
    }

    public func string() throws(WireError) -> String {
        let b = try bytes()
        guard let s = String(validating: b, as: UTF8.self) else {
            throw WireError(.invalidUTF8, "field \(number) is not valid UTF-8")
        }
        return s
    }

    public func message<M: WireMessage>(_ type: M.Type = M.self) throws(WireError) -> M {
        try M(decoding: try bytes())
    }

    /// Decodes one `{1: key, 2: value}` map entry of strings.
    public func stringMapEntry() throws(WireError) -> (String, String) {
        var reader = PayloadReader(try bytes())
        var key = ""
        var value = ""
        while let f = try reader.next() {
            switch f.number {
            case 1: key = try f.string()
            case 2: value = try f.string()
            default: break
            }
        }
        return (key, value)
    }
}

extension PayloadField.Value {
    var wireTypeName: String {
        switch self {
        case .varint: "varint"
        case .fixed64: "fixed64"
        case .fixed32: "fixed32"
        case .bytes: "bytes"
        }
    }
}

/// Reads fields one at a time. Never traps on any input: malformed bytes throw `WireError`.
public struct PayloadReader: Sendable {
    private let bytes: ArraySlice<UInt8>
    private var index: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    public init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    public var isAtEnd: Bool { index >= bytes.endIndex }

    private mutating func varint() throws(WireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.endIndex else {
                throw WireError(.truncatedPayload, "varint runs past the end of the payload")
            }
            let b = bytes[index]
            index += 1
            if shift == 63 && b > 1 { throw WireError(.malformedVarint, "varint overflows 64 bits") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw WireError(.malformedVarint, "varint is longer than 10 bytes") }
        }
    }

    private mutating func take(_ n: Int, _ what: String) throws(WireError) -> ArraySlice<UInt8> {
        guard n >= 0, bytes.endIndex - index >= n else {
            throw WireError(.truncatedPayload, "\(what) needs \(n) bytes but \(bytes.endIndex - index) remain")
        }
        let s = bytes[index..<(index + n)]
        index += n
        return s
    }

    private static func littleEndian(_ s: ArraySlice<UInt8>) -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in s.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }

    /// The next field, or nil at the end of the payload.
    public mutating func next() throws(WireError) -> PayloadField? {
        guard !isAtEnd else { return nil }
        let key = try varint()
        let numberRaw = key >> 3
        guard numberRaw > 0, numberRaw < (1 << 29) else {
            throw WireError(.invalidValue, "field number \(numberRaw) is outside 1...536870911")
        }
        let number = Int(numberRaw)
        switch UInt8(key & 7) {
        case WireType.varint.rawValue:
            return PayloadField(number: number, value: .varint(try varint()))
        case WireType.fixed64.rawValue:
            return PayloadField(
                number: number, value: .fixed64(Self.littleEndian(try take(8, "fixed64 field \(number)"))))
        case WireType.fixed32.rawValue:
            let v = Self.littleEndian(try take(4, "fixed32 field \(number)"))
            return PayloadField(number: number, value: .fixed32(UInt32(v)))
        case WireType.bytes.rawValue:
            let length = try varint()
            guard length <= UInt64(Int32.max) else {
                throw WireError(.truncatedPayload, "field \(number) announces \(length) bytes")
            }
            return PayloadField(number: number, value: .bytes(try take(Int(length), "bytes field \(number)")))
        default:
            throw WireError(.unknownWireType, "field \(number) has wire type \(key & 7), which cannot be skipped")
        }
    }
}

/// A message with a payload encoding. Decoders skip unknown fields and keep the last value of a
/// repeated scalar field, as Protocol Buffers does.
public protocol WireMessage: Sendable {
    init(decoding bytes: ArraySlice<UInt8>) throws(WireError)
    func encode(to writer: inout PayloadWriter)
    /// The message's encoding as bytes. A requirement (with a default) so a message that already holds its
    /// encoding, such as an opaque byte message, can return it without a copy.
    func encoded() -> [UInt8]
}

extension WireMessage {
    public init(decoding bytes: [UInt8]) throws(WireError) { try self.init(decoding: bytes[...]) }

    /// The message's encoding as bytes.
    public func encoded() -> [UInt8] {
        var w = PayloadWriter()
        encode(to: &w)
        return w.bytes
    }

    /// As `encoded()`, with room for `capacity` bytes reserved up front (no regrowth when it suffices).
    public func encoded(capacity: Int) -> [UInt8] {
        var w = PayloadWriter(capacity: capacity)
        encode(to: &w)
        return w.bytes
    }
}
