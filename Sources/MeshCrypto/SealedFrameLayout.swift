import MeshWire

/// The byte layout shared by `FrameSealer` and `FrameOpener` (proto-spec/sealing.md):
///
/// - nonce (12 B) = `00 00 00 00 ‖ u64 BE counter`; each direction has its own key and counter,
///   starting at 0 and incremented per frame;
/// - associated data = the 12 bytes of length prefix and header as sent;
/// - body = ciphertext ‖ 16-byte Poly1305 tag, so the length prefix counts 8 + plaintext + 16.
enum SealedFrameLayout {
    static let nonceLength = 12
    static let tagLength = 16
    static let keyLength = 32
    /// The counter value that may never be used: reaching it ends the connection (`nonceExhausted`).
    static let exhaustedCounter = UInt64.max

    /// Calls `body` with the nonce for `counter` in stack memory (no heap allocation).
    @inline(__always)
    static func withNonce<R>(_ counter: UInt64, _ body: (UnsafePointer<UInt8>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: nonceLength) { n in
            for i in 0..<4 { n[i] = 0 }
            for i in 0..<8 { n[4 + i] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64(i))) }
            return body(UnsafePointer(n.baseAddress!))
        }
    }

    /// Writes the 12 bytes of length prefix and header, big-endian, at `p`.
    @inline(__always)
    static func writePrefixAndHeader(lengthPrefix: UInt32, _ header: FrameHeader, to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: lengthPrefix.bigEndian, as: UInt32.self)
        p.storeBytes(of: header.version, toByteOffset: 4, as: UInt8.self)
        p.storeBytes(of: header.rawType, toByteOffset: 5, as: UInt8.self)
        p.storeBytes(of: header.flags.bigEndian, toByteOffset: 6, as: UInt16.self)
        p.storeBytes(of: header.streamID.bigEndian, toByteOffset: 8, as: UInt32.self)
    }
}
