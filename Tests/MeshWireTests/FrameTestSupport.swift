// Shared with the libFuzzer target: Fuzz/Sources/MeshFuzzFrames/FrameTestSupport.swift is a symlink to this file.
import MeshCore
import MeshWire
import NIOCore

/// A frame with its body copied out, so frames compare by value.
struct DecodedFrame: Hashable, CustomStringConvertible {
    var header: FrameHeader
    var body: [UInt8]

    init(header: FrameHeader, body: [UInt8]) {
        self.header = header
        self.body = body
    }

    init(_ frame: Frame) {
        header = frame.header
        body = frame.body.getBytes(at: frame.body.readerIndex, length: frame.body.readableBytes) ?? []
    }

    var encoded: [UInt8] {
        var out = ByteBuffer()
        Frame(header: header, body: ByteBuffer(bytes: body)).write(into: &out)
        return out.readBytes(length: out.readableBytes) ?? []
    }

    var description: String { "\(header) body \(body.count) B" }
}

/// What a decoder made of a byte stream.
struct DecodeOutcome: Equatable {
    var frames: [DecodedFrame] = []
    var error: WireError.Code?
    /// Bytes still buffered at the end (an incomplete frame).
    var leftover = 0
}

/// Feeds `bytes` to a `FrameDecoder` in pieces, draining every frame after each piece, as a
/// channel handler does on each read. `pieceSizes` cycle; each is at least 1.
func decode(
    _ bytes: [UInt8],
    pieceSizes: [Int],
    decoder: FrameDecoder = FrameDecoder()
) -> DecodeOutcome {
    var outcome = DecodeOutcome()
    var buffer = ByteBuffer()
    var offset = 0
    var piece = 0
    while offset < bytes.count {
        let n = min(max(pieceSizes[piece % pieceSizes.count], 1), bytes.count - offset)
        buffer.writeBytes(bytes[offset..<(offset + n)])
        offset += n
        piece += 1
        do throws(WireError) {
            while let frame = try decoder.decode(buffer: &buffer) {
                outcome.frames.append(DecodedFrame(frame))
            }
        } catch {
            outcome.error = error.code
            return outcome
        }
    }
    outcome.leftover = buffer.readableBytes
    return outcome
}

extension SeededRandom {
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &self) }
    }
}
