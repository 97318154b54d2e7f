import MeshWire
import NIOCore

/// Splits captured bytes of one direction of a connection into frames (MeshWire's `FrameDecoder`) and
/// decodes what can be decoded without the session keys.
///
/// Phases (framing.md): `hello`, `welcome`, `auth` and a `goAway` before the handshake ends are plaintext and
/// decode fully. Once the capture shows the sender's last handshake frame (`auth` from a client, `welcome` from
/// a server) every later frame is sealed: only its header, the ciphertext length, the 16-byte tag and its
/// nonce counter (the sealed frame's index in this direction, exact when the capture starts with the
/// connection) can be shown. A capture without handshake frames is read as plaintext (`--sealed` says
/// otherwise), as are the unsealed example frames of proto-spec/vectors/frames.txt.
struct FrameDump {
    enum Phase: String, Sendable { case auto, plaintext, sealed }

    var phase: Phase = .auto
    var maxBodyLength = FrameDecoder.defaultMaxBodyLength

    func decode(_ bytes: [UInt8]) -> DecodeJSON {
        var buffer = ByteBuffer(bytes: bytes)
        var frames: [DecodeJSON.Frame] = []
        var sealedFromNowOn = phase == .sealed
        var sealedCount: UInt64 = 0
        var trailing: DecodeJSON.Trailing?
        let decoder = FrameDecoder(maxBodyLength: maxBodyLength)
        while buffer.readableBytes > 0 {
            let offset = buffer.readerIndex
            let frame: Frame
            do {
                guard let next = try decoder.decode(buffer: &buffer) else {
                    trailing = .init(offset: offset, bytes: buffer.readableBytes, reason: "incomplete frame")
                    break
                }
                frame = next
            } catch {
                trailing = .init(offset: offset, bytes: buffer.readableBytes, reason: "\(error)")
                break
            }
            let handshakeType = [FrameType.hello, .welcome, .auth].contains(frame.header.type)
            let sealed = phase == .plaintext ? false : (sealedFromNowOn && !handshakeType) || phase == .sealed
            var entry = DecodeJSON.Frame(offset: offset, frame.header, bodyBytes: frame.body.readableBytes)
            if let error = Self.headerError(frame.header) { entry.error = error }
            let body = Array(frame.body.readableBytesView)
            if sealed {
                entry.sealed = DecodeJSON.Sealed(body, counter: sealedCount)
                sealedCount += 1
                if body.count < 16 {
                    entry.error = "frameAuthenticationFailed: sealed body shorter than its 16-byte tag"
                }
            } else if entry.error == nil, let type = frame.header.type {
                let (message, fields, error) = Self.body(type, body)
                entry.message = message
                entry.fields = fields
                entry.error = error
            }
            if phase == .auto, frame.header.type == .auth || frame.header.type == .welcome { sealedFromNowOn = true }
            frames.append(entry)
        }
        return DecodeJSON(frames: frames, trailing: trailing)
    }

    static func headerError(_ header: FrameHeader) -> String? {
        do {
            _ = try header.validated()
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// The body's message name, its fields, and the `WireError` MeshWire's own decoder reports for it.
    static func body(_ type: FrameType, _ body: [UInt8]) -> (String, [DecodedField]?, String?) {
        let schema: PayloadSchema
        var check: (([UInt8]) throws -> Void)? = nil
        switch type {
        case .hello: schema = FrameSchemas.hello
        case .welcome: schema = FrameSchemas.welcome
        case .auth: schema = FrameSchemas.auth
        case .settings:
            schema = FrameSchemas.settingsBody
            check = { _ = try SettingsBody(decoding: $0) }
        case .request, .message:
            schema = FrameSchemas.requestHead
            check = { _ = try RequestHead(decoding: $0) }
        case .response:
            schema = FrameSchemas.responseHead
            check = { _ = try ResponseHead(decoding: $0) }
        case .cancel:
            schema = FrameSchemas.cancelBody
            check = { _ = try CancelBody(decoding: $0) }
        case .ping, .pong:
            schema = FrameSchemas.pingBody
            check = { _ = try PingBody(decoding: $0) }
        case .goAway:
            schema = FrameSchemas.goAwayBody
            check = { _ = try GoAwayBody(decoding: $0) }
        }
        return decodeBody(body, schema: schema, check: check)
    }

    static func decodeBody(
        _ body: [UInt8], schema: PayloadSchema, check: (([UInt8]) throws -> Void)?
    ) -> (String, [DecodedField]?, String?) {
        let fields = GenericPayload.decode(body[...], schema: schema)
        var rejection: String? = nil
        do { try check?(body) } catch { rejection = "\(error)" }
        if fields == nil, rejection == nil { rejection = "body does not parse as the payload encoding" }
        return (schema.name, fields, rejection)
    }

    /// A bare body (`decode --body NAME`), checked by MeshWire's decoder where it has one.
    static func bare(_ schema: PayloadSchema, _ body: [UInt8]) -> DecodeJSON.Body {
        let check: (([UInt8]) throws -> Void)? =
            switch schema.name {
            case "RequestHead": { _ = try RequestHead(decoding: $0) }
            case "ResponseHead": { _ = try ResponseHead(decoding: $0) }
            case "CancelBody": { _ = try CancelBody(decoding: $0) }
            case "PingBody": { _ = try PingBody(decoding: $0) }
            case "GoAwayBody": { _ = try GoAwayBody(decoding: $0) }
            case "SettingsBody": { _ = try SettingsBody(decoding: $0) }
            default: nil
            }
        let (message, fields, error) = decodeBody(body, schema: schema, check: check)
        return DecodeJSON.Body(message: message, bytes: body.count, fields: fields, error: error)
    }
}

/// `meshprobe decode --json`.
struct DecodeJSON: Encodable {
    struct Sealed: Encodable {
        var ciphertextBytes: Int
        var tag: String
        /// The AEAD nonce's counter: `00000000 || u64be(counter)` (sealing.md).
        var nonceCounter: UInt64

        init(_ body: [UInt8], counter: UInt64) {
            ciphertextBytes = max(0, body.count - 16)
            tag = Hex.string(body.suffix(16))
            nonceCounter = counter
        }
    }
    struct Frame: Encodable {
        var offset: Int
        /// The length prefix: 8 + body bytes.
        var length: Int
        var version: UInt8
        var type: UInt8
        /// The frame type's name, absent for a type version 1 does not define.
        var typeName: String?
        var flags: UInt16
        var streamID: UInt32
        var bodyBytes: Int
        /// Present for a sealed frame (nothing else of its body can be read without the session keys).
        var sealed: Sealed?
        /// The body's message (e.g. `RequestHead`) and fields, for a plaintext frame.
        var message: String?
        var fields: [DecodedField]?
        /// Why the frame or its body is invalid (a `WireError` code and detail), if it is.
        var error: String?

        init(offset: Int, _ header: FrameHeader, bodyBytes: Int) {
            self.offset = offset
            length = 8 + bodyBytes
            version = header.version
            type = header.rawType
            typeName = header.type.map { "\($0)" }
            flags = header.flags
            streamID = header.streamID
            self.bodyBytes = bodyBytes
        }
    }
    /// Bytes after the last whole frame: an incomplete frame, or a length prefix the decoder rejects.
    struct Trailing: Encodable {
        var offset: Int
        var bytes: Int
        var reason: String
    }
    /// `decode --body NAME`: one message, not a frame.
    struct Body: Encodable {
        var message: String
        var bytes: Int
        var fields: [DecodedField]?
        var error: String?
    }

    var frames: [Frame]
    var trailing: Trailing?
    var problems: [String] {
        frames.compactMap { f in f.error.map { "frame at offset \(f.offset): \($0)" } }
            + (trailing.map { ["\($0.bytes) bytes at offset \($0.offset): \($0.reason)"] } ?? [])
    }
}
