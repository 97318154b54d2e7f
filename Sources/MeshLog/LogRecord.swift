/// A record to append. The log assigns its sequence number and timestamp when it commits it.
///
/// `payload` is opaque (room for a later Ed25519 signature is the caller's business).
public struct NewRecord: Hashable, Sendable {
    /// Application-defined record type.
    public var type: UInt16
    /// The stream (aggregate, key) this record belongs to; at most 65535 UTF-8 bytes.
    public var streamKey: String
    public var payload: [UInt8]

    public init(type: UInt16, streamKey: String, payload: [UInt8]) {
        self.type = type
        self.streamKey = streamKey
        self.payload = payload
    }
}

/// A committed record as read back from the log.
public struct LogRecord: Hashable, Sendable {
    /// Position in the log: 1 for the first record ever appended, contiguous afterwards.
    public var sequence: UInt64
    /// Wall-clock time of the commit, nanoseconds since the Unix epoch.
    public var timestamp: Int64
    public var type: UInt16
    public var streamKey: String
    public var payload: [UInt8]

    public init(sequence: UInt64, timestamp: Int64, type: UInt16, streamKey: String, payload: [UInt8]) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.type = type
        self.streamKey = streamKey
        self.payload = payload
    }
}
