import MeshWire
import Testing

/// proto-spec/vectors/payload.txt: field encodings are byte-exact and decode to their values;
/// malformed payloads fail with their stated code.
@Suite struct PayloadVectorTests {
    /// A field as a schema would see it: the number plus the value with its declared type.
    struct Field: Equatable, Sendable {
        enum Value: Equatable, Sendable {
            case uint(UInt64)
            case sint(Int64)
            case fixed64(UInt64)
            case fixed32(UInt32)
            case string(String)
            case bytes([UInt8])
            case message([Field])
        }
        var number: Int
        var value: Value
        init(_ number: Int, _ value: Value) {
            self.number = number
            self.value = value
        }
    }

    static func write(_ fields: [Field], to w: inout PayloadWriter) {
        for f in fields {
            switch f.value {
            case .uint(let v): w.uint(f.number, v)
            case .sint(let v): w.int(f.number, v)
            case .fixed64(let v): w.fixed64(f.number, v)
            case .fixed32(let v): w.fixed32(f.number, v)
            case .string(let v): w.string(f.number, v)
            case .bytes(let v): w.bytes(f.number, v)
            case .message(let inner): w.message(f.number) { write(inner, to: &$0) }
            }
        }
    }

    /// Reads `bytes` interpreting the i-th field with the type of `schema[i]`.
    static func read(_ bytes: ArraySlice<UInt8>, as schema: [Field]) throws(WireError) -> [Field] {
        var reader = PayloadReader(bytes)
        var out: [Field] = []
        while let f = try reader.next() {
            guard out.count < schema.count else { throw WireError(.invalidValue, "unexpected field \(f.number)") }
            let value: Field.Value
            switch schema[out.count].value {
            case .uint: value = .uint(try f.uint())
            case .sint: value = .sint(try f.int())
            case .fixed64: value = .fixed64(try f.uint())
            case .fixed32: value = .fixed32(try f.uint32())
            case .string: value = .string(try f.string())
            case .bytes: value = .bytes(Array(try f.bytes()))
            case .message(let inner): value = .message(try read(try f.bytes(), as: inner))
            }
            out.append(Field(f.number, value))
        }
        return out
    }

    static let expected: [String: [Field]] = [
        "uint.0": [Field(1, .uint(0))],
        "uint.1": [Field(1, .uint(1))],
        "uint.127": [Field(1, .uint(127))],
        "uint.128": [Field(1, .uint(128))],
        "uint.300": [Field(1, .uint(300))],
        "uint.max": [Field(1, .uint(.max))],
        "sint.minus1": [Field(1, .sint(-1))],
        "sint.1": [Field(1, .sint(1))],
        "sint.min": [Field(1, .sint(.min))],
        "sint.max": [Field(1, .sint(.max))],
        "fixed64": [Field(2, .fixed64(0x0102_0304_0506_0708))],
        "fixed32": [Field(3, .fixed32(0xdead_beef))],
        "string.empty": [Field(1, .string(""))],
        "string.ascii": [Field(1, .string("hello"))],
        "string.multibyte": [Field(1, .string("héllo, 世界 🌍"))],
        "bytes": [Field(4, .bytes([0x00, 0xff]))],
        "key.two-bytes": [Field(16, .uint(1))],
        "key.largest-field": [Field(536_870_911, .uint(1))],
        "nested": [Field(5, .message([Field(1, .uint(150)), Field(2, .string("a"))]))],
        "map": [
            Field(3, .message([Field(1, .string("a")), Field(2, .string("1"))])),
            Field(3, .message([Field(1, .string("b")), Field(2, .string("2"))])),
        ],
        "list": [Field(6, .uint(1)), Field(6, .uint(2)), Field(6, .uint(3))],
    ]

    @Test func everyVectorHasAMeaning() throws {
        let vectors = try VectorFile.load("payload.txt")
        #expect(Set(vectors.filter { !$0.name.hasPrefix("reject.") }.map(\.name)) == Set(Self.expected.keys))
        for v in vectors where v.name.hasPrefix("reject.") {
            #expect(VectorFile.rejectCode(v.name) != nil, "\(v.name) names no known WireError code")
        }
    }

    @Test func fieldsEncodeByteExactlyAndDecodeToTheirValues() throws {
        for v in try VectorFile.load("payload.txt") where !v.name.hasPrefix("reject.") {
            let fields = try #require(Self.expected[v.name])
            var w = PayloadWriter()
            Self.write(fields, to: &w)
            #expect(w.bytes == v.bytes, "\(v.name): encoding differs")
            #expect(try Self.read(v.bytes[...], as: fields) == fields, "\(v.name)")
        }
    }

    @Test func mapsAreWrittenAsSortedEntries() throws {
        let map = try #require(try VectorFile.load("payload.txt").first { $0.name == "map" })
        var w = PayloadWriter()
        w.stringMap(3, ["b": "2", "a": "1"])
        #expect(w.bytes == map.bytes)
    }

    @Test func malformedPayloadsFailWithTheirCode() throws {
        for v in try VectorFile.load("payload.txt") where v.name.hasPrefix("reject.") {
            let code = try #require(VectorFile.rejectCode(v.name))
            let error = wireError {
                var reader = PayloadReader(v.bytes)
                while try reader.next() != nil {}
            }
            #expect(error?.code == code, "\(v.name)")
        }
    }
}
