/// Bodies of the RPC frames (proto-spec/rpc.md). Field numbers are part of the protocol:
/// never reuse one; add new fields with new numbers.

/// Body of a `request` (and, without deadline, of a one-way `message`) frame.
public struct RequestHead: WireMessage, Hashable {
    /// `service/method`, e.g. `inventory/Reserve`.
    public var method: String
    /// Time the caller still allows, in microseconds, measured when the frame was sent. 0 = none.
    /// Relative, not absolute, so the two peers' clocks need not agree (as gRPC's `grpc-timeout`).
    public var timeoutMicros: UInt64
    /// Free-form metadata: `idempotency-key`, `tracestate`, ….
    public var metadata: [String: String]
    /// The caller's W3C trace context (field 5, 25 bytes); nil = none sent. A `traceparent` metadata entry is
    /// the text form some callers send instead; this field wins when both are present.
    public var trace: TraceContext?
    /// The application's request message, in its own encoding. Decoded heads share the frame's plaintext
    /// storage (a slice, no copy).
    public var payload: ArraySlice<UInt8>

    public init(
        method: String, timeoutMicros: UInt64 = 0, metadata: [String: String] = [:], trace: TraceContext? = nil,
        payload: ArraySlice<UInt8>
    ) {
        self.method = method
        self.timeoutMicros = timeoutMicros
        self.metadata = metadata
        self.trace = trace
        self.payload = payload
    }

    public init(
        method: String, timeoutMicros: UInt64 = 0, metadata: [String: String] = [:], trace: TraceContext? = nil,
        payload: [UInt8]
    ) {
        self.init(method: method, timeoutMicros: timeoutMicros, metadata: metadata, trace: trace, payload: payload[...])
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        var method: String?
        self.timeoutMicros = 0
        self.metadata = [:]
        self.trace = nil
        self.payload = []
        while let f = try r.next() {
            switch f.number {
            case 1: method = try f.string()
            case 2: timeoutMicros = try f.uint()
            case 3:
                let (k, v) = try f.stringMapEntry()
                metadata[k] = v
            case 4: payload = try f.bytes()
            case 5: trace = try TraceContext(binary: f)
            default: break
            }
        }
        guard let method, !method.isEmpty else { throw WireError(.missingField, "request has no method (field 1)") }
        self.method = method
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, method)
        if timeoutMicros != 0 { w.uint(2, timeoutMicros) }
        w.stringMap(3, metadata)
        if !payload.isEmpty { w.bytes(4, payload) }
        if let trace { trace.encode(5, to: &w) }
    }
}

/// Body of a `response` frame.
public struct ResponseHead: WireMessage, Hashable {
    public var status: RPCStatus
    public var metadata: [String: String]
    /// The application's response message; empty unless `status.code == .ok`. Decoded heads share the
    /// frame's plaintext storage (a slice, no copy).
    public var payload: ArraySlice<UInt8>

    public init(status: RPCStatus, metadata: [String: String] = [:], payload: ArraySlice<UInt8>) {
        self.status = status
        self.metadata = metadata
        self.payload = payload
    }

    public init(status: RPCStatus, metadata: [String: String] = [:], payload: [UInt8] = []) {
        self.init(status: status, metadata: metadata, payload: payload[...])
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        var code: UInt32 = 0
        var message = ""
        self.metadata = [:]
        self.payload = []
        while let f = try r.next() {
            switch f.number {
            case 1: code = try f.uint32()
            case 2: message = try f.string()
            case 3:
                let (k, v) = try f.stringMapEntry()
                metadata[k] = v
            case 4: payload = try f.bytes()
            default: break
            }
        }
        status = RPCStatus(code: .init(rawValue: code), message: message)
    }

    public func encode(to w: inout PayloadWriter) {
        if status.code != .ok { w.uint(1, UInt64(status.code.rawValue)) }
        if !status.message.isEmpty { w.string(2, status.message) }
        w.stringMap(3, metadata)
        if !payload.isEmpty { w.bytes(4, payload) }
    }
}

/// Body of a `cancel` frame.
public struct CancelBody: WireMessage, Hashable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        reason = ""
        while let f = try r.next() { if f.number == 1 { reason = try f.string() } }
    }
    public func encode(to w: inout PayloadWriter) { if !reason.isEmpty { w.string(1, reason) } }
}

/// Body of `ping` and `pong` frames: an opaque value the pong echoes.
public struct PingBody: WireMessage, Hashable {
    public var opaque: UInt64
    public init(opaque: UInt64) { self.opaque = opaque }
    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        opaque = 0
        while let f = try r.next() { if f.number == 1 { opaque = try f.uint() } }
    }
    public func encode(to w: inout PayloadWriter) { w.fixed64(1, opaque) }
}

/// Body of a `goAway` frame.
public struct GoAwayBody: WireMessage, Hashable {
    /// The highest stream id the sender has accepted and will still answer.
    public var lastStreamID: UInt32
    public var status: RPCStatus

    public init(lastStreamID: UInt32, status: RPCStatus) {
        self.lastStreamID = lastStreamID
        self.status = status
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        lastStreamID = 0
        var code: UInt32 = 0
        var message = ""
        while let f = try r.next() {
            switch f.number {
            case 1: lastStreamID = try f.uint32()
            case 2: code = try f.uint32()
            case 3: message = try f.string()
            default: break
            }
        }
        status = RPCStatus(code: .init(rawValue: code), message: message)
    }

    public func encode(to w: inout PayloadWriter) {
        w.uint(1, UInt64(lastStreamID))
        if status.code != .ok { w.uint(2, UInt64(status.code.rawValue)) }
        if !status.message.isEmpty { w.string(3, status.message) }
    }
}

/// Body of the `settings` frame: the server's limits, sent sealed once the handshake is accepted.
public struct SettingsBody: WireMessage, Hashable {
    /// Streams the sender will serve at once; a caller queues beyond this.
    public var maxConcurrentStreams: UInt32
    /// Largest frame body the sender accepts; at least `minimumMaxBodyLength`.
    public var maxBodyLength: UInt32

    /// The smallest `maxBodyLength` a peer may announce (rpc.md); a smaller one is rejected with `invalidValue`.
    public static let minimumMaxBodyLength: UInt32 = 16 * 1024

    public init(maxConcurrentStreams: UInt32, maxBodyLength: UInt32) {
        self.maxConcurrentStreams = maxConcurrentStreams
        self.maxBodyLength = maxBodyLength
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        maxConcurrentStreams = 100
        maxBodyLength = UInt32(FrameDecoder.defaultMaxBodyLength)
        while let f = try r.next() {
            switch f.number {
            case 1: maxConcurrentStreams = try f.uint32()
            case 2: maxBodyLength = try f.uint32()
            default: break
            }
        }
        guard maxBodyLength >= Self.minimumMaxBodyLength else {
            throw WireError(
                .invalidValue,
                "settings maxBodyLength \(maxBodyLength) is below the minimum of \(Self.minimumMaxBodyLength)")
        }
    }

    public func encode(to w: inout PayloadWriter) {
        w.uint(1, UInt64(maxConcurrentStreams))
        w.uint(2, UInt64(maxBodyLength))
    }
}
