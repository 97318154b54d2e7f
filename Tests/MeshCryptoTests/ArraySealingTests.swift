import MeshWire
import NIOCore
import Testing

@testable import MeshCrypto

/// The array variants of sealing and opening (the transport's hot path) produce and accept exactly the bytes
/// of the ByteBuffer variants, and fail and count the same way.
@Suite struct ArraySealingTests {
    static let key = [UInt8](repeating: 0x42, count: 32)

    @Test func arraySealIsByteIdenticalAndArrayOpenReturnsThePlaintext() throws {
        var viaBuffer = FrameSealer(key: Self.key, cipher: .chacha20Poly1305)
        var viaArray = FrameSealer(key: Self.key, cipher: .chacha20Poly1305)
        var opener = FrameOpener(key: Self.key, cipher: .chacha20Poly1305)
        let decoder = FrameDecoder()
        for size in [0, 1, 16, 4096, 70_000] {
            let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let header = FrameHeader(type: .response, flags: 0x0304, streamID: 9)
            var a = ByteBuffer(bytes: [0xEE])
            var b = ByteBuffer(bytes: [0xEE])
            try viaBuffer.seal(header: header, plaintext: ByteBuffer(bytes: plaintext), into: &a)
            try viaArray.seal(header: header, plaintext: plaintext, into: &b)
            #expect(Array(a.readableBytesView) == Array(b.readableBytesView))
            b.moveReaderIndex(forwardBy: 1)
            let frame = try #require(try decoder.decode(buffer: &b))
            #expect(try opener.openBytes(frame) == plaintext)
        }
        #expect(viaArray.counter == 5 && opener.counter == 5)
    }

    @Test func arrayOpenRejectsATamperedFrameWithoutAdvancing() throws {
        var sealer = FrameSealer(key: Self.key, cipher: .chacha20Poly1305)
        var out = ByteBufferAllocator().buffer(capacity: 0)
        try sealer.seal(header: FrameHeader(type: .request, streamID: 1), plaintext: [1, 2, 3, 4], into: &out)
        out.setInteger(out.getInteger(at: 14, as: UInt8.self)! ^ 0x01, at: 14)  // flip a ciphertext bit
        let frame = try #require(try FrameDecoder().decode(buffer: &out))
        var opener = FrameOpener(key: Self.key, cipher: .chacha20Poly1305)
        #expect(throws: CryptoError.self) { try opener.openBytes(frame) }
        do {
            _ = try opener.openBytes(frame)
        } catch {
            #expect(error.code == .frameAuthenticationFailed)
        }
        #expect(opener.counter == 0)
    }
}
