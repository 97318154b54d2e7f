import MeshWire
import NIOCore

/// libFuzzer's per-input callback. Started by `MeshFuzzFrames_main` (FuzzerEntry.swift).
///
/// Every input is fed to the frame decoder (whole and in pieces), to `FrameHeader.validated()`,
/// to `PayloadReader` and to every `WireMessage` decoder. Any trap, or a broken invariant
/// (reported with `fatalError`), is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    FrameProperties.check(bytes)
    PayloadProperties.check(bytes[...])
    return 0
}

/// Invariants of `FrameDecoder`: chunking never changes the result, and re-encoding a decoded
/// frame gives back exactly the bytes it came from. `decode(_:pieceSizes:decoder:)` and
/// `DecodedFrame` are shared with the unit tests (FrameTestSupport.swift is a symlink).
enum FrameProperties {
    /// A small limit so that fuzz inputs of a few KiB reach both sides of the length check.
    static let decoder = FrameDecoder(maxBodyLength: 1024)

    static func check(_ bytes: [UInt8]) {
        let whole = decode(bytes, pieceSizes: [bytes.count], decoder: decoder)
        // Piece sizes from the input itself, so the fuzzer explores splits too.
        let pieces = bytes.prefix(8).map { Int($0 % 13) + 1 }
        let chunked = decode(bytes, pieceSizes: pieces, decoder: decoder)
        let dripped = decode(bytes, pieceSizes: [1], decoder: decoder)
        guard whole == chunked, whole == dripped else {
            fatalError("chunking changed the decoder's result: \(whole) vs \(chunked) vs \(dripped)")
        }
        var consumed = 0
        for frame in whole.frames {
            check(frame)
            let raw = frame.encoded
            guard bytes[consumed..<(consumed + raw.count)].elementsEqual(raw) else {
                fatalError("re-encoded frame differs from its input bytes")
            }
            consumed += raw.count
        }
    }

    static func check(_ frame: DecodedFrame) {
        guard frame.body.count <= decoder.maxBodyLength else {
            fatalError("decoder returned a body of \(frame.body.count) bytes above its limit")
        }
        if let type = try? frame.header.validated() {
            guard frame.header.type == type, frame.header.version == FrameHeader.currentVersion else {
                fatalError("validated() disagrees with the header")
            }
        } else if frame.header.version == FrameHeader.currentVersion, frame.header.type != nil {
            fatalError("validated() rejected a known version and type")
        }
        PayloadProperties.check(frame.body[...])
    }
}

/// Invariants of the payload encoding: the reader never traps, and whatever decodes re-encodes
/// to a canonical form that decodes to the same value.
enum PayloadProperties {
    static func check(_ bytes: ArraySlice<UInt8>) {
        checkFields(bytes)
        roundTrip(RequestHead.self, bytes)
        roundTrip(ResponseHead.self, bytes)
        roundTrip(CancelBody.self, bytes)
        roundTrip(PingBody.self, bytes)
        roundTrip(GoAwayBody.self, bytes)
        roundTrip(SettingsBody.self, bytes)
    }

    /// Reads every field; re-writes the ones read; reading the rewrite gives the same fields.
    static func checkFields(_ bytes: ArraySlice<UInt8>) {
        var reader = PayloadReader(bytes)
        var fields: [PayloadField] = []
        var writer = PayloadWriter()
        while let field = try? reader.next() {
            fields.append(field)
            switch field.value {
            case .varint(let v): writer.uint(field.number, v)
            case .fixed64(let v): writer.fixed64(field.number, v)
            case .fixed32(let v): writer.fixed32(field.number, v)
            case .bytes(let b): writer.bytes(field.number, b)
            }
        }
        var again = PayloadReader(writer.bytes)
        for field in fields {
            guard let copy = try? again.next(), copy.number == field.number, same(copy.value, field.value) else {
                fatalError("re-written field \(field.number) does not read back")
            }
        }
        guard again.isAtEnd else { fatalError("re-written payload has trailing bytes") }
    }

    static func same(_ a: PayloadField.Value, _ b: PayloadField.Value) -> Bool {
        switch (a, b) {
        case (.varint(let x), .varint(let y)), (.fixed64(let x), .fixed64(let y)): x == y
        case (.fixed32(let x), .fixed32(let y)): x == y
        case (.bytes(let x), .bytes(let y)): x.elementsEqual(y)
        default: false
        }
    }

    static func roundTrip<M: WireMessage & Equatable>(_ type: M.Type, _ bytes: ArraySlice<UInt8>) {
        guard let value = try? M(decoding: bytes) else { return }
        let canonical = value.encoded()
        guard let again = try? M(decoding: canonical), again == value else {
            fatalError("\(M.self) does not survive encode → decode: \(value)")
        }
        guard again.encoded() == canonical else { fatalError("\(M.self) encoding is not stable") }
    }
}
