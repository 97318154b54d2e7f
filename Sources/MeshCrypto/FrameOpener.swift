import CSodium
import MeshWire
import NIOCore

/// Opens the sealed frames of one direction (proto-spec/sealing.md). One per direction, owned by
/// one event loop. Frames must arrive in order, each exactly once: the expected counter advances
/// only on success, so a tampered, reordered, replayed or truncated frame fails to open.
public struct FrameOpener: Sendable {
    private var state: DirectionState
    /// The counter of the next frame opened.
    public var counter: UInt64 { state.counter }

    /// The cipher this opener uses.
    public var cipher: FrameCipher { state.cipher }

    /// `key` must be 32 bytes (a `SessionKeys.receive`) and `cipher` available on this CPU; otherwise it is a
    /// programming error.
    public init(key: [UInt8], cipher: FrameCipher) {
        self.init(key: key, cipher: cipher, counter: 0)
    }

    /// Starts at `counter` instead of 0; for tests of counter exhaustion.
    init(key: [UInt8], cipher: FrameCipher = .chacha20Poly1305, counter: UInt64) {
        state = DirectionState(key: key, cipher: cipher, counter: counter, direction: "receiving")
    }

    /// `frame` as returned by MeshWire's FrameDecoder (its body = ciphertext‖tag). Returns the
    /// plaintext body, or `frameAuthenticationFailed`. The associated data is rebuilt from
    /// `frame.header` and `frame.lengthPrefix`, so header tampering is caught as well.
    public mutating func open(_ frame: Frame) throws(CryptoError) -> ByteBuffer {
        let (counter, plainLength) = try checked(frame)
        var out = ByteBufferAllocator().buffer(capacity: plainLength)
        var ok = false
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: plainLength) { m in
            ok = decrypt(frame, counter: counter, into: m.baseAddress)
            return ok ? plainLength : 0
        }
        try finish(ok, frame, counter)
        return out
    }

    /// As `open(_:)`, returning the plaintext as an array: decrypts straight into the array's storage,
    /// for callers that decode the body from an `ArraySlice` (no intermediate buffer and copy).
    public mutating func openBytes(_ frame: Frame) throws(CryptoError) -> [UInt8] {
        let (counter, plainLength) = try checked(frame)
        var ok = false
        let out = [UInt8](unsafeUninitializedCapacity: plainLength) { m, initialized in
            ok = decrypt(frame, counter: counter, into: UnsafeMutableRawPointer(m.baseAddress))
            // On failure the bytes are garbage, but still initialized memory of a trivial type; discarded below.
            initialized = ok ? plainLength : 0
        }
        try finish(ok, frame, counter)
        return out
    }

    /// The counter to open `frame` with and its plaintext length, or why it cannot be opened.
    private func checked(_ frame: Frame) throws(CryptoError) -> (counter: UInt64, plainLength: Int) {
        let counter = try state.current()
        let sealedLength = frame.body.readableBytes
        guard sealedLength >= SealedFrameLayout.tagLength else {
            throw CryptoError(
                .frameAuthenticationFailed,
                "sealed frame body has \(sealedLength) bytes, less than the 16-byte tag (counter \(counter))"
            )
        }
        return (counter, sealedLength - SealedFrameLayout.tagLength)
    }

    /// Verifies and decrypts `frame`'s body into `m` (room for the plaintext); false if it does not authenticate.
    private func decrypt(_ frame: Frame, counter: UInt64, into m: UnsafeMutableRawPointer?) -> Bool {
        let sealedLength = frame.body.readableBytes
        return withUnsafeTemporaryAllocation(byteCount: FrameHeader.prefixAndHeaderSize, alignment: 4) { adRaw in
            SealedFrameLayout.writePrefixAndHeader(
                lengthPrefix: frame.lengthPrefix, frame.header, to: adRaw.baseAddress!
            )
            let ad = UnsafePointer(adRaw.baseAddress!.assumingMemoryBound(to: UInt8.self))
            return frame.body.withUnsafeReadableBytes { c in
                state.decrypt(
                    m?.assumingMemoryBound(to: UInt8.self), c.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    sealedLength, ad: ad, counter: counter)
            }
        }
    }

    /// Advances the counter after a successful open; otherwise throws `frameAuthenticationFailed`.
    private mutating func finish(_ ok: Bool, _ frame: Frame, _ counter: UInt64) throws(CryptoError) {
        guard ok else {
            throw CryptoError(
                .frameAuthenticationFailed,
                "sealed frame (type 0x\(String(frame.header.rawType, radix: 16)), stream \(frame.header.streamID), "
                    + "\(frame.body.readableBytes) bytes) does not authenticate as frame \(counter) of this direction"
            )
        }
        state.advance()
    }
}
