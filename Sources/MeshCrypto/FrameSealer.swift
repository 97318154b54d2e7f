import CSodium
import MeshWire
import NIOCore

/// Seals the frames of one direction with the connection's cipher (proto-spec/sealing.md).
/// One per direction, owned by one event loop. Invariant: every counter value is used at most once.
public struct FrameSealer: Sendable {
    private var state: DirectionState
    /// Plaintext bytes sealed under this key so far.
    public private(set) var sealedBytes: UInt64
    /// The counter of the next frame sealed.
    public var counter: UInt64 { state.counter }

    /// True once 15/16 of the cipher's key usage limit is sealed: the connection should go away gracefully
    /// and be re-established (new keys) while the remaining 1/16 lets in-flight calls finish.
    public var shouldRenewKeys: Bool {
        let limit = state.cipher.keyUsageLimitBytes
        return sealedBytes >= limit - limit / 16
    }

    /// The cipher this sealer uses.
    public var cipher: FrameCipher { state.cipher }

    /// `key` must be 32 bytes (a `SessionKeys.send`) and `cipher` available on this CPU; otherwise it is a
    /// programming error.
    public init(key: [UInt8], cipher: FrameCipher) {
        self.init(key: key, cipher: cipher, counter: 0)
    }

    /// Starts at `counter` instead of 0; for tests of counter exhaustion.
    init(key: [UInt8], cipher: FrameCipher = .chacha20Poly1305, counter: UInt64, sealedBytes: UInt64 = 0) {
        state = DirectionState(key: key, cipher: cipher, counter: counter, direction: "sending")
        self.sealedBytes = sealedBytes
    }

    /// Appends len+header+ciphertext+tag for `plaintext` to `out`. Must not allocate per call beyond
    /// `out` growth. The length prefix written counts 8 + plaintext + 16.
    public mutating func seal(
        header: FrameHeader, plaintext: ByteBuffer, into out: inout ByteBuffer
    ) throws(CryptoError) {
        let counter = try checkedCounter(plainLength: plaintext.readableBytes)
        plaintext.withUnsafeReadableBytes { m in write(counter: counter, header: header, plaintext: m, into: &out) }
        state.advance()
        sealedBytes += UInt64(plaintext.readableBytes)
    }

    /// As `seal(header:plaintext:into:)`, for a plaintext held in an array: encrypts straight from the
    /// array into `out`, with no intermediate buffer.
    public mutating func seal(
        header: FrameHeader, plaintext: [UInt8], into out: inout ByteBuffer
    ) throws(CryptoError) {
        let counter = try checkedCounter(plainLength: plaintext.count)
        plaintext.withUnsafeBytes { m in write(counter: counter, header: header, plaintext: m, into: &out) }
        state.advance()
        sealedBytes += UInt64(plaintext.count)
    }

    /// The counter to seal with, or why a frame of `plainLength` bytes cannot be sealed.
    private func checkedCounter(plainLength: Int) throws(CryptoError) -> UInt64 {
        let counter = try state.current()
        guard UInt64(FrameHeader.size + plainLength + SealedFrameLayout.tagLength) <= UInt64(UInt32.max) else {
            throw CryptoError(.frameTooLarge, "a \(plainLength)-byte body does not fit a sealed frame")
        }
        let limit = state.cipher.keyUsageLimitBytes
        guard UInt64(plainLength) <= limit - min(sealedBytes, limit) else {
            throw CryptoError(
                .nonceExhausted,
                "\(state.cipher) may seal at most \(limit) bytes under one key; the connection must be re-established")
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
            state.encrypt(
                c, m.baseAddress?.assumingMemoryBound(to: UInt8.self), plainLength, ad: ad, counter: counter)
            return total
        }
    }
}
