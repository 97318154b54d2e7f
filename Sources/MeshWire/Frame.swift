import NIOCore

/// Frame types of protocol version 1 (proto-spec/framing.md).
public enum FrameType: UInt8, Sendable, CaseIterable {
    /// Handshake message 1, client → server, plaintext.
    case hello = 0x01
    /// Handshake message 2, server → client, plaintext.
    case welcome = 0x02
    /// Handshake message 3, client → server, plaintext.
    case auth = 0x03
    /// First sealed frame, server → client: the handshake is accepted; carries the server's limits.
    case settings = 0x04
    /// A call: request on a new stream id.
    case request = 0x10
    /// The single answer to a request, on the request's stream id.
    case response = 0x11
    /// A one-way message; no response is sent.
    case message = 0x12
    /// The caller gives up on a stream; the server stops working on it.
    case cancel = 0x13
    /// Keepalive probe; answered by `pong` with the same payload.
    case ping = 0x14
    case pong = 0x15
    /// Graceful shutdown: no new streams above `lastStreamID`, in-flight ones finish.
    case goAway = 0x16
}

/// The fixed part of every frame, after the 4-byte length prefix.
///
/// ```
/// 0      4        5      6         8           12
/// | len  | version| type | flags   | stream id | body …
///   u32     u8      u8     u16 BE    u32 BE
/// ```
/// `len` counts every byte after itself: 8 header bytes plus the body.
public struct FrameHeader: Hashable, Sendable {
    /// Bytes of header after the length prefix.
    public static let size = 8
    /// Bytes of length prefix plus header: the associated data of a sealed frame.
    public static let prefixAndHeaderSize = 12
    public static let currentVersion: UInt8 = 1

    public var version: UInt8
    /// The raw type byte; use `validated()` to learn it is known.
    public var rawType: UInt8
    public var flags: UInt16
    public var streamID: UInt32

    public init(version: UInt8 = FrameHeader.currentVersion, type: FrameType, flags: UInt16 = 0, streamID: UInt32) {
        self.version = version
        self.rawType = type.rawValue
        self.flags = flags
        self.streamID = streamID
    }

    public init(version: UInt8, rawType: UInt8, flags: UInt16, streamID: UInt32) {
        self.version = version
        self.rawType = rawType
        self.flags = flags
        self.streamID = streamID
    }

    public var type: FrameType? { FrameType(rawValue: rawType) }

    /// The frame type, or a `WireError` if the version or type is not one this peer speaks.
    public func validated() throws(WireError) -> FrameType {
        guard version == FrameHeader.currentVersion else {
            throw WireError(
                .unsupportedVersion,
                "frame has protocol version \(version); this peer speaks version \(FrameHeader.currentVersion)"
            )
        }
        guard let t = FrameType(rawValue: rawType) else {
            throw WireError(.unknownFrameType, "frame type 0x\(String(rawType, radix: 16)) is not defined in version 1")
        }
        return t
    }
}

/// One frame: header plus body. The body is plaintext before the handshake completes and
/// `ciphertext ‖ 16-byte tag` after it (see MeshCrypto's `FrameSealer`).
public struct Frame: Sendable {
    public var header: FrameHeader
    public var body: ByteBuffer

    public init(header: FrameHeader, body: ByteBuffer) {
        self.header = header
        self.body = body
    }

    /// The value of the length prefix for this frame.
    public var lengthPrefix: UInt32 { UInt32(FrameHeader.size + body.readableBytes) }

    /// Writes the 12 bytes of length prefix and header.
    public static func writePrefixAndHeader(_ header: FrameHeader, bodyLength: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(FrameHeader.size + bodyLength))
        buffer.writeInteger(header.version)
        buffer.writeInteger(header.rawType)
        buffer.writeInteger(header.flags)
        buffer.writeInteger(header.streamID)
    }

    /// Writes the whole frame.
    public func write(into buffer: inout ByteBuffer) {
        Frame.writePrefixAndHeader(header, bodyLength: body.readableBytes, into: &buffer)
        var b = body
        buffer.writeBuffer(&b)
    }
}

/// Splits a byte stream into frames. Pure: feed it bytes, it returns frames or a `WireError`.
///
/// It checks the length prefix as soon as 4 bytes arrive, so a peer that announces 4 GiB is
/// rejected before any of it is buffered. It does not check version or type: after the handshake
/// those are authenticated first, and then checked with `FrameHeader.validated()`.
public struct FrameDecoder: Sendable {
    /// The largest body accepted, in bytes. A length prefix above `maxBodyLength + 8` is an error.
    public var maxBodyLength: Int

    public static let defaultMaxBodyLength = 4 * 1024 * 1024

    public init(maxBodyLength: Int = FrameDecoder.defaultMaxBodyLength) {
        self.maxBodyLength = maxBodyLength
    }

    /// The next complete frame in `buffer`, consuming its bytes, or nil if more bytes are needed.
    public func decode(buffer: inout ByteBuffer) throws(WireError) -> Frame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length >= FrameHeader.size else {
            throw WireError(
                .frameTooShort, "length prefix \(length) is smaller than the \(FrameHeader.size)-byte header")
        }
        guard UInt64(length) <= UInt64(maxBodyLength) + UInt64(FrameHeader.size) else {
            throw WireError(
                .frameTooLarge,
                "length prefix \(length) exceeds the maximum frame length \(maxBodyLength + FrameHeader.size)"
            )
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        let start = buffer.readerIndex
        let header = FrameHeader(
            version: buffer.getInteger(at: start + 4)!,
            rawType: buffer.getInteger(at: start + 5)!,
            flags: buffer.getInteger(at: start + 6)!,
            streamID: buffer.getInteger(at: start + 8)!
        )
        let body = buffer.getSlice(at: start + 12, length: Int(length) - FrameHeader.size)!
        buffer.moveReaderIndex(forwardBy: 4 + Int(length))
        return Frame(header: header, body: body)
    }
}
