import MeshCore
import MeshWire
import NIOCore
import Testing

@testable import MeshCrypto

/// Frame sealing: round trips, and every kind of tampering fails with `frameAuthenticationFailed`.
@Suite struct SealingTests {
    static let key = [UInt8](repeating: 0x42, count: 32)

    static func seal(
        _ plaintext: [UInt8], type: FrameType = .request, streamID: UInt32 = 7, sealer: inout FrameSealer
    ) throws -> [UInt8] {
        var out = ByteBufferAllocator().buffer(capacity: 0)
        try sealer.seal(
            header: FrameHeader(type: type, flags: 0x0102, streamID: streamID), plaintext: ByteBuffer(bytes: plaintext),
            into: &out
        )
        return Array(out.readableBytesView)
    }

    static func decode(_ wire: [UInt8]) throws -> Frame? {
        var buffer = ByteBuffer(bytes: wire)
        return try FrameDecoder().decode(buffer: &buffer)
    }

    /// Opens `wire` with a fresh opener at counter 0; the error code, or nil on success.
    static func openError(_ wire: [UInt8]) throws -> CryptoError.Code? {
        let frame = try #require(try decode(wire))
        var opener = FrameOpener(key: key, cipher: .chacha20Poly1305)
        return Fixtures.error { try opener.open(frame) }?.code
    }

    @Test func roundTripKeepsHeaderAndBody() throws {
        var sealer = FrameSealer(key: Self.key, cipher: .chacha20Poly1305)
        var opener = FrameOpener(key: Self.key, cipher: .chacha20Poly1305)
        for size in [0, 1, 15, 16, 17, 1000, 70_000] {
            let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let wire = try Self.seal(plaintext, sealer: &sealer)
            #expect(wire.count == 12 + size + 16)
            #expect(Array(wire[0..<4]) == [UInt8](withUnsafeBytes(of: UInt32(8 + size + 16).bigEndian, Array.init)))
            #expect(Array(wire[4..<12]) == [1, FrameType.request.rawValue, 0x01, 0x02, 0, 0, 0, 7])
            if size > 0 { #expect(Array(wire[12..<(12 + size)]) != plaintext) }
            let frame = try #require(try Self.decode(wire))
            #expect(Array(try opener.open(frame).readableBytesView) == plaintext)
        }
        #expect(sealer.counter == 7 && opener.counter == 7)
    }

    @Test func sealAppendsToExistingBytes() throws {
        var sealer = FrameSealer(key: Self.key, cipher: .chacha20Poly1305)
        var out = ByteBuffer(bytes: [0xAA, 0xBB])
        let ping = FrameHeader(type: .ping, streamID: 0)
        try sealer.seal(header: ping, plaintext: ByteBuffer(bytes: [1, 2, 3]), into: &out)
        try sealer.seal(header: ping, plaintext: ByteBuffer(bytes: [4]), into: &out)
        #expect(out.readableBytes == 2 + (12 + 3 + 16) + (12 + 1 + 16))
        #expect(out.readBytes(length: 2) == [0xAA, 0xBB])
        var opener = FrameOpener(key: Self.key, cipher: .chacha20Poly1305)
        let decoder = FrameDecoder()
        #expect(Array(try opener.open(try #require(try decoder.decode(buffer: &out))).readableBytesView) == [1, 2, 3])
        #expect(Array(try opener.open(try #require(try decoder.decode(buffer: &out))).readableBytesView) == [4])
    }

    @Test func everySingleBitFlipFailsToOpen() throws {
        var sealer = FrameSealer(key: Self.key, cipher: .chacha20Poly1305)
        let wire = try Self.seal(Array("hello, sealed world".utf8), sealer: &sealer)
        #expect(try Self.openError(wire) == nil)
        for byte in 0..<wire.count {
            for bit in 0..<8 {
                var tampered = wire
                tampered[byte] ^= 1 << bit
                if byte < 4 {
                    // A changed length prefix: the decoder waits for more bytes, rejects the length, or cuts
                    // a shorter frame, which then fails to open. Nothing is ever accepted.
                    var buffer = ByteBuffer(bytes: tampered)
                    guard let frame = try? FrameDecoder().decode(buffer: &buffer) else { continue }
                    var opener = FrameOpener(key: Self.key, cipher: .chacha20Poly1305)
                    let code = Fixtures.error { try opener.open(frame) }?.code
                    #expect(code == .frameAuthenticationFailed, "byte \(byte) bit \(bit)")
                } else {
                    #expect(try Self.openError(tampered) == .frameAuthenticationFailed, "byte \(byte) bit \(bit)")
                }
            }
        }
    }

    @Test func replayReorderAndTruncationFail() throws {
        var sealer = FrameSealer(key: Self.key, cipher: .chacha20Poly1305)
        let first = try #require(try Self.decode(try Self.seal([1, 2, 3], sealer: &sealer)))
        let second = try #require(try Self.decode(try Self.seal([4, 5, 6], sealer: &sealer)))

        var replay = FrameOpener(key: Self.key, cipher: .chacha20Poly1305)
        _ = try replay.open(first)
        #expect(Fixtures.error { try replay.open(first) }?.code == .frameAuthenticationFailed)
        #expect(Array(try replay.open(second).readableBytesView) == [4, 5, 6])  // the failure consumed nothing

        var reorder = FrameOpener(key: Self.key, cipher: .chacha20Poly1305)
        #expect(Fixtures.error { try reorder.open(second) }?.code == .frameAuthenticationFailed)

        // Truncation: shorter bodies with a consistent length prefix, down to below the tag size.
        for keep in 0..<first.body.readableBytes {
            let body = first.body.getSlice(at: first.body.readerIndex, length: keep)!
            let truncated = Frame(header: first.header, body: body)
            var opener = FrameOpener(key: Self.key, cipher: .chacha20Poly1305)
            #expect(Fixtures.error { try opener.open(truncated) }?.code == .frameAuthenticationFailed, "keep \(keep)")
        }
    }

    @Test func wrongKeyOrDirectionFails() throws {
        var sealer = FrameSealer(key: Self.key, cipher: .chacha20Poly1305)
        let frame = try #require(try Self.decode(try Self.seal([9], sealer: &sealer)))
        var other = FrameOpener(key: [UInt8](repeating: 0x43, count: 32), cipher: .chacha20Poly1305)
        #expect(Fixtures.error { try other.open(frame) }?.code == .frameAuthenticationFailed)
    }

    @Test func counterExhaustionRequiresReconnect() throws {
        var sealer = FrameSealer(key: Self.key, counter: UInt64.max - 1)
        let last = try #require(try Self.decode(try Self.seal([1], sealer: &sealer)))
        #expect(sealer.counter == UInt64.max)
        var out = ByteBufferAllocator().buffer(capacity: 0)
        let e = Fixtures.error {
            try sealer.seal(header: FrameHeader(type: .ping, streamID: 0), plaintext: ByteBuffer(), into: &out)
        }
        #expect(e?.code == .nonceExhausted)
        #expect(out.readableBytes == 0)

        var opener = FrameOpener(key: Self.key, counter: UInt64.max - 1)
        #expect(Array(try opener.open(last).readableBytesView) == [1])
        #expect(Fixtures.error { try opener.open(last) }?.code == .nonceExhausted)
    }
}
