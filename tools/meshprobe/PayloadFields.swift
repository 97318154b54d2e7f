import MeshWire

/// A payload decoded field by field with MeshWire's `PayloadReader`, without knowing its message type
/// (protobuf-style: numbers and wire types only), optionally named by a `PayloadSchema`.
struct DecodedField: Encodable, Equatable {
    indirect enum Value: Equatable {
        case varint(UInt64)
        /// A zigzag varint, when the schema says so.
        case sint(Int64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case string(String)
        case bytes([UInt8])
        case message([DecodedField])
    }
    var field: Int
    var name: String?
    var value: Value

    enum CodingKeys: String, CodingKey { case field, name, varint, sint, fixed64, fixed32, string, hex, message }

    /// `{"field": N, "name": "…", <kind>: value}` with exactly one of the value keys.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(field, forKey: .field)
        try c.encodeIfPresent(name, forKey: .name)
        switch value {
        case .varint(let v): try c.encode(v, forKey: .varint)
        case .sint(let v): try c.encode(v, forKey: .sint)
        case .fixed64(let v): try c.encode(v, forKey: .fixed64)
        case .fixed32(let v): try c.encode(v, forKey: .fixed32)
        case .string(let v): try c.encode(v, forKey: .string)
        case .bytes(let v): try c.encode(Hex.string(v), forKey: .hex)
        case .message(let v): try c.encode(v, forKey: .message)
        }
    }
}

/// Names and types of a message's fields, from proto-spec (used by `decode` for the bodies it knows).
struct PayloadSchema: Sendable {
    indirect enum Kind: Sendable {
        case uint, sint, fixed64, string, bytes
        /// A nested message with its own schema.
        case message(PayloadSchema)
        /// An application payload: decoded generically.
        case opaque
    }
    var name: String
    var fields: [Int: (name: String, kind: Kind)]
}

enum GenericPayload {
    /// The fields of `bytes`, or nil if they do not parse as the payload encoding (encoding.md).
    static func decode(_ bytes: ArraySlice<UInt8>, schema: PayloadSchema? = nil, depth: Int = 0) -> [DecodedField]? {
        var reader = PayloadReader(bytes)
        var fields: [DecodedField] = []
        do {
            while let f = try reader.next() {
                let known = schema?.fields[f.number]
                fields.append(DecodedField(field: f.number, name: known?.name, value: value(f, known?.kind, depth)))
            }
        } catch {
            return nil
        }
        return fields
    }

    private static func value(_ f: PayloadField, _ kind: PayloadSchema.Kind?, _ depth: Int) -> DecodedField.Value {
        switch f.value {
        case .varint(let v):
            if case .sint = kind { return .sint(Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))) }
            return .varint(v)
        case .fixed64(let v): return .fixed64(v)
        case .fixed32(let v): return .fixed32(v)
        case .bytes(let b):
            switch kind {
            case .string: if let s = String(validating: b, as: UTF8.self) { return .string(s) }
            case .bytes: return .bytes(Array(b))
            case .message(let schema): if let m = decode(b, schema: schema, depth: depth + 1) { return .message(m) }
            case .opaque: return guess(b, depth)
            default: break
            }
            return guess(b, depth)
        }
    }

    /// Printable UTF-8 is a string; else bytes that parse as fields are a message; else raw bytes.
    private static func guess(_ b: ArraySlice<UInt8>, _ depth: Int) -> DecodedField.Value {
        if let s = String(validating: b, as: UTF8.self),
            s.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F || $0 == "\n" || $0 == "\t" })
        {
            return .string(s)
        }
        if depth < 16, !b.isEmpty, let m = decode(b, depth: depth + 1) { return .message(m) }
        return .bytes(Array(b))
    }

    /// One line for humans: `{1 name: "x", 2: 42, 3: {1: 7}, 4: 0a0b…}`; long bytes and strings are cut.
    static func text(_ fields: [DecodedField], limit: Int = 48) -> String {
        "{"
            + fields.map { f in (f.name.map { "\(f.field) \($0)" } ?? "\(f.field)") + ": " + text(f.value, limit) }
            .joined(separator: ", ") + "}"
    }

    private static func text(_ value: DecodedField.Value, _ limit: Int) -> String {
        switch value {
        case .varint(let v), .fixed64(let v): return "\(v)"
        case .sint(let v): return "\(v)"
        case .fixed32(let v): return "\(v)"
        case .string(let s): return "\"" + (s.count > limit ? String(s.prefix(limit)) + "…" : s) + "\""
        case .bytes(let b):
            return b.isEmpty ? "<>" : "<" + Hex.string(b.prefix(limit / 2)) + (b.count > limit / 2 ? "…" : "") + ">"
        case .message(let m): return text(m, limit: limit)
        }
    }
}

enum Hex {
    static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes from hex text; whitespace, `:` and a leading `0x` are ignored. Nil if anything else is there or a
    /// digit is left over.
    static func bytes(_ text: String) -> [UInt8]? {
        var digits: [UInt8] = []
        var rest = Substring(text)
        if rest.hasPrefix("0x") { rest = rest.dropFirst(2) }
        for c in rest.utf8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits.append(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digits.append(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digits.append(c - UInt8(ascii: "A") + 10)
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: ":"):
                continue
            default: return nil
            }
        }
        guard digits.count % 2 == 0 else { return nil }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }
}
