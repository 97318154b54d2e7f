import MeshWire

/// An event a subscriber rejected as invalid, recorded in the producer's log so operators can see it and the
/// relay can move on. Encoding: `1: subscriber, 2: sequence (varint), 3: type, 4: stream key, 5: reason`.
public struct DeadLetter: WireMessage, Hashable {
    /// Log record type of dead letters in the producer's log.
    public static let recordType: UInt16 = 0xFE02

    public var subscriber: String
    /// Sequence of the rejected event in the producer's log.
    public var sequence: UInt64
    public var type: UInt16
    public var streamKey: String
    public var reason: String

    public init(subscriber: String, sequence: UInt64, type: UInt16, streamKey: String, reason: String) {
        self.subscriber = subscriber
        self.sequence = sequence
        self.type = type
        self.streamKey = streamKey
        self.reason = reason
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        var subscriber = ""
        var sequence: UInt64 = 0
        var type: UInt64 = 0
        var key = ""
        var reason = ""
        while let f = try r.next() {
            switch f.number {
            case 1: subscriber = try f.string()
            case 2: sequence = try f.uint()
            case 3: type = try f.uint()
            case 4: key = try f.string()
            case 5: reason = try f.string()
            default: break
            }
        }
        guard !subscriber.isEmpty, sequence >= 1 else {
            throw WireError(.missingField, "dead letter needs a subscriber and a sequence ≥ 1")
        }
        guard type <= UInt64(UInt16.max) else { throw WireError(.invalidValue, "dead letter type \(type)") }
        self.subscriber = subscriber
        self.sequence = sequence
        self.type = UInt16(type)
        self.streamKey = key
        self.reason = reason
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, subscriber)
        w.uint(2, sequence)
        w.uint(3, UInt64(type))
        if !streamKey.isEmpty { w.string(4, streamKey) }
        w.string(5, reason)
    }
}
