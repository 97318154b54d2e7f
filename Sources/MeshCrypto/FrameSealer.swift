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
        let counter = try checkedCounter(plainLength: plaintext.readableBytes)
        plaintext.withUnsafeReadableBytes { m in write(counter: counter, header: header, plaintext: m, into: &out) }
        state.advance()
    }

    /// As `seal(header:plaintext:into:)`, for a plaintext held in an array: encrypts straight from the
    /// array into `out`, with no intermediate buffer.
    public mutating func seal(
        header: FrameHeader, plaintext: [UInt8], into out: inout ByteBuffer
    ) throws(CryptoError) {
        let counter = try checkedCounter(plainLength: plaintext.count)
        plaintext.withUnsafeBytes { m in write(counter: counter, header: header, plaintext: m, into: &out) }
        state.advance()
    }

    /// The counter to seal with, or why a frame of `plainLength` bytes cannot be sealed.
    private func checkedCounter(plainLength: Int) throws(CryptoError) -> UInt64 {
        let counter = try state.current()
        guard UInt64(FrameHeader.size + plainLength + SealedFrameLayout.tagLength) <= UInt64(UInt32.max) else {
            throw CryptoError(.frameTooLarge, "a \(plainLength)-byte body does not fit a sealed frame")
        }
        return counter
    }

    /// Writes prefix, header, ciphertext and tag of `m` into `out`'s writable bytes.
    private func write(
        counter: UInt64, header: FrameHeader, plaintext m: UnsafeRawBufferPointer, into out: inout ByteBuffer
    ) {
        let plainLength = m.count
        let bodyLength = plainLength + SealedFrameLayout.tagLength
        let total = FrameHeader.prefixAndHeaderSize + bodyLength
        let lengthPrefix = UInt32(FrameHeader.size + bodyLength)
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { dst in
            let base = dst.baseAddress!
            SealedFrameLayout.writePrefixAndHeader(lengthPrefix: lengthPrefix, header, to: base)
            let ad = base.assumingMemoryBound(to: UInt8.self)
            let c = ad + FrameHeader.prefixAndHeaderSize
            state.key.withUnsafeBufferPointer { k in
                SealedFrameLayout.withNonce(counter) { nonce in
                    var written: UInt64 = 0
                    _ = crypto_aead_chacha20poly1305_ietf_encrypt(
                        c, &written, m.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plainLength),
                        ad, UInt64(FrameHeader.prefixAndHeaderSize), nil, nonce, k.baseAddress!
                    )
                }
            }
            return total
        }
    }
}
