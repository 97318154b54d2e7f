import NIOCore

/// The bare-NIO echo wire format: `UInt32 BE bodyLength | UInt32 BE requestID | payload`, where
/// `bodyLength = 4 + payload.count`. The server echoes every frame unchanged; the client correlates by request id.
public enum EchoFrame {
    /// Length prefix plus request id.
    public static let headerSize = 8
    /// Largest accepted body; anything bigger is a protocol violation, not a reason to buffer without bound.
    public static let maxBodyLength = 16 << 20

    /// One decoded frame.
    public struct Message: Sendable, Equatable {
        public var requestID: UInt32
        public var payload: ByteBuffer

        public init(requestID: UInt32, payload: ByteBuffer) {
            self.requestID = requestID
            self.payload = payload
        }
    }

    /// Appends one frame to `buffer`.
    public static func write(requestID: UInt32, payload: ByteBuffer, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(4 + payload.readableBytes))
        buffer.writeInteger(requestID)
        buffer.writeImmutableBuffer(payload)
    }

    /// Removes one whole frame from the front of `buffer`, or returns nil (consuming nothing) when more bytes are
    /// needed. Throws `protocolViolation` for a body shorter than the id or longer than `maxBodyLength`.
    public static func read(from buffer: inout ByteBuffer) throws(BenchError) -> Message? {
        guard let bodyLength = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard bodyLength >= 4, bodyLength <= maxBodyLength else {
            throw BenchError(.protocolViolation, "frame body length \(bodyLength) outside 4...\(maxBodyLength)")
        }
        guard buffer.readableBytes >= 4 + Int(bodyLength) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        // Both reads succeed: the length check above guarantees the bytes are there.
        let requestID = buffer.readInteger(as: UInt32.self)!
        let payload = buffer.readSlice(length: Int(bodyLength) - 4)!
        return Message(requestID: requestID, payload: payload)
    }
}

/// `ByteToMessageDecoder` over `EchoFrame.read`.
public struct EchoFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = EchoFrame.Message

    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let message = try EchoFrame.read(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
