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

    /// `key` must be 32 bytes (a `SessionKeys.receive`); another length is a programming error.
    public init(key: [UInt8]) {
        self.init(key: key, counter: 0)
    }

    /// Starts at `counter` instead of 0; for tests of counter exhaustion.
    init(key: [UInt8], counter: UInt64) {
        state = DirectionState(key: key, counter: counter, direction: "receiving")
    }

    /// `frame` as returned by MeshWire's FrameDecoder (its body = ciphertext‖tag). Returns the
    /// plaintext body, or `frameAuthenticationFailed`. The associated data is rebuilt from
    /// `frame.header` and `frame.lengthPrefix`, so header tampering is caught as well.
    public mutating func open(_ frame: Frame) throws(CryptoError) -> ByteBuffer {
        let counter = try state.current()
        let sealedLength = frame.body.readableBytes
        guard sealedLength >= SealedFrameLayout.tagLength else {
            throw CryptoError(
                .frameAuthenticationFailed,
                "sealed frame body has \(sealedLength) bytes, less than the 16-byte tag (counter \(counter))"
            )
        }
        let plainLength = sealedLength - SealedFrameLayout.tagLength
        var out = ByteBufferAllocator().buffer(capacity: plainLength)
        var ok = false
        withUnsafeTemporaryAllocation(byteCount: FrameHeader.prefixAndHeaderSize, alignment: 4) { adRaw in
            SealedFrameLayout.writePrefixAndHeader(
                lengthPrefix: frame.lengthPrefix, frame.header, to: adRaw.baseAddress!
            )
            let ad = UnsafePointer(adRaw.baseAddress!.assumingMemoryBound(to: UInt8.self))
            _ = frame.body.withUnsafeReadableBytes { c in
                state.key.withUnsafeBufferPointer { k in
                    SealedFrameLayout.withNonce(counter) { nonce in
                        out.writeWithUnsafeMutableBytes(minimumWritableBytes: plainLength) { m in
                            var written: UInt64 = 0
                            let rc = crypto_aead_chacha20poly1305_ietf_decrypt(
                                m.baseAddress?.assumingMemoryBound(to: UInt8.self), &written, nil,
                                c.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(sealedLength),
                                ad, UInt64(FrameHeader.prefixAndHeaderSize), nonce, k.baseAddress!
                            )
                            ok = rc == 0
                            return ok ? plainLength : 0
                        }
                    }
                }
            }
        }
        guard ok else {
            throw CryptoError(
                .frameAuthenticationFailed,
                "sealed frame (type 0x\(String(frame.header.rawType, radix: 16)), stream \(frame.header.streamID), "
                    + "\(sealedLength) bytes) does not authenticate as frame \(counter) of this direction"
            )
        }
        state.advance()
        return out
    }
}
