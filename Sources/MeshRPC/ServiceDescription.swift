import MeshWire

/// What a node advertises about the methods it serves: each `service/method` and its kind.
/// Wire form: `ServiceDescription { repeated MethodEntry method = 1 }`, `MethodEntry { string path = 1;
/// uint32 kind = 2 }` with kind 0 = query, 1 = command (proto-spec/rpc-metadata.md).
public struct ServiceDescription: WireMessage, Hashable {
    public struct Entry: Hashable, Sendable {
        public var path: String
        public var kind: MethodKind
        public init(path: String, kind: MethodKind) {
            self.path = path
            self.kind = kind
        }
    }

    /// Sorted by path.
    public var methods: [Entry]

    public init(methods: [Entry]) { self.methods = methods.sorted { $0.path < $1.path } }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        var methods: [Entry] = []
        while let f = try r.next() {
            guard f.number == 1 else { continue }
            var inner = PayloadReader(try f.bytes())
            var path = ""
            var kind = MethodKind.query
            while let g = try inner.next() {
                switch g.number {
                case 1: path = try g.string()
                case 2: kind = try g.uint() == 1 ? .command : .query
                default: break
                }
            }
            guard !path.isEmpty else { throw WireError(.missingField, "method entry has no path (field 1)") }
            methods.append(Entry(path: path, kind: kind))
        }
        self.init(methods: methods)
    }

    public func encode(to w: inout PayloadWriter) {
        for entry in methods {
            w.message(1) { m in
                m.string(1, entry.path)
                if entry.kind == .command { m.uint(2, 1) }
            }
        }
    }
}
