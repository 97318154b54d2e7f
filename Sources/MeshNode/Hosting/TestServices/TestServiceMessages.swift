import MeshWire

/// An addition to a test counter: `1: counter, 2: amount (int64 as varint of its bit pattern), 3: request id`.
/// The payload of the test services' events and of `test-counter/Add`.
public struct TestAddition: WireMessage, Hashable {
    public var counter: String
    public var amount: Int64
    public var requestID: String

    public init(counter: String, amount: Int64, requestID: String) {
        self.counter = counter
        self.amount = amount
        self.requestID = requestID
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        (counter, amount, requestID) = ("", 0, "")
        while let f = try r.next() {
            switch f.number {
            case 1: counter = try f.string()
            case 2: amount = Int64(bitPattern: try f.uint())
            case 3: requestID = try f.string()
            default: break
            }
        }
        guard !counter.isEmpty, !requestID.isEmpty else {
            throw WireError(.missingField, "a test addition needs a counter and a request id")
        }
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, counter)
        w.uint(2, UInt64(bitPattern: amount))
        w.string(3, requestID)
    }
}

/// Names a counter (or ledger account): `1: key`.
public struct TestKey: WireMessage, Hashable {
    public var key: String
    public init(_ key: String) { self.key = key }
    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        key = ""
        while let f = try r.next() { if f.number == 1 { key = try f.string() } }
    }
    public func encode(to w: inout PayloadWriter) { w.string(1, key) }
}

/// Four signed totals about one key: `1: key, 2..5: values (int64 bit patterns)`. For a counter: value,
/// additions, compensations, 0. For a ledger account: booked amount, booked count, refused count, 0.
public struct TestTotals: WireMessage, Hashable {
    public var key: String
    public var values: [Int64]

    public init(key: String, values: [Int64]) {
        self.key = key
        self.values = values
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        key = ""
        values = []
        while let f = try r.next() {
            switch f.number {
            case 1: key = try f.string()
            case 2: values.append(Int64(bitPattern: try f.uint()))
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, key)
        for v in values { w.uint(2, UInt64(bitPattern: v)) }
    }
}
