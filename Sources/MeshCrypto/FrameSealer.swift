import CSodium
import MeshWire
import NIOCore

/// Seals the frames of one direction with ChaCha20-Poly1305-IETF (proto-spec/sealing.md).
/// One per direction, owned by one event loop. Invariant: every counter value is used at most once.
public struct FrameSealer: Sendable {
    private var state: DirectionState
    /// The counter of the next frame sealed.
    public var counter: UInt64 { state.counter }

    /// `key` must be 32 bytes (a `SessionKeys.send`); another length is a programming error.
    public init(key: [UInt8]) {
        self.init(key: key, counter: 0)
    }

    /// Starts at `counter` instead of 0; for tests of counter exhaustion.
    init(key: [UInt8], counter: UInt64) {
        state = DirectionState(key: key, counter: counter, direction: "sending")
    }

    /// Appends len+header+ciphertext+tag for `plaintext` to `out`. Must not allocate per call beyond
    /// `out` growth. The length prefix written counts 8 + plaintext + 16.
    public mutating func seal(
        header: FrameHeader, plaintext: ByteBuffer, into out: inout ByteBuffer
    ) throws(CryptoError) {
        let counter = try state.current()
        let plainLength = plaintext.readableBytes
        let bodyLength = plainLength + SealedFrameLayout.tagLength
        guard UInt64(FrameHeader.size + bodyLength) <= UInt64(UInt32.max) else {
            throw CryptoError(.frameTooLarge, "a \(plainLength)-byte body does not fit a sealed frame")
        }
        let total = FrameHeader.prefixAndHeaderSize + bodyLength
        let lengthPrefix = UInt32(FrameHeader.size + bodyLength)
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { dst in
            let base = dst.baseAddress!
            SealedFrameLayout.writePrefixAndHeader(lengthPrefix: lengthPrefix, header, to: base)
            let ad = base.assumingMemoryBound(to: UInt8.self)
            let c = ad + FrameHeader.prefixAndHeaderSize
            plaintext.withUnsafeReadableBytes { m in
                state.key.withUnsafeBufferPointer { k in
                    SealedFrameLayout.withNonce(counter) { nonce in
                        var written: UInt64 = 0
                        _ = crypto_aead_chacha20poly1305_ietf_encrypt(
                            c, &written, m.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plainLength),
                            ad, UInt64(FrameHeader.prefixAndHeaderSize), nil, nonce, k.baseAddress!
                        )
                    }
                }
            }
            return total
        }
        state.advance()
    }
}
