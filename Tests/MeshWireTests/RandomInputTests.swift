import MeshCore
import MeshWire
import Testing

/// Seeded random inputs: the payload reader and every message decoder either decode or throw a
/// `WireError` (a trap would kill the test process), and random messages round-trip exactly.
@Suite struct RandomInputTests {
    /// Random bytes, half of the time spliced with well-formed fields so decoders get past the first key.
    static func input(_ rng: inout SeededRandom) -> [UInt8] {
        var bytes = rng.bytes(Int.random(in: 0...48, using: &rng))
        if Bool.random(using: &rng) {
            var w = PayloadWriter()
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let field = Int.random(in: 1...5, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: w.uint(field, rng.next() >> UInt64.random(in: 0...63, using: &rng))
                case 1: w.fixed64(field, rng.next())
                case 2: w.fixed32(field, UInt32.random(in: .min ... .max, using: &rng))
                default: w.bytes(field, rng.bytes(Int.random(in: 0...8, using: &rng)))
                }
            }
            let at = Int.random(in: 0...bytes.count, using: &rng)
            bytes.insert(contentsOf: w.bytes, at: at)
        }
        return bytes
    }

    static func roundTrips<M: WireMessage & Equatable>(_ type: M.Type, _ bytes: [UInt8]) -> Bool {
        guard let value = try? M(decoding: bytes) else { return true }
        let canonical = value.encoded()
        return (try? M(decoding: canonical)) == value && (try? M(decoding: canonical))?.encoded() == canonical
    }

    @Test func twentyThousandRandomInputsNeverTrapAndDecodedValuesRoundTrip() {
        var rng = SeededRandom(seed: 2026)
        var decodedSomething = 0
        for i in 0..<20_000 {
            let bytes = Self.input(&rng)
            var reader = PayloadReader(bytes)
            var fields = 0
            while (try? reader.next()) != nil {
                fields += 1
                #expect(fields <= bytes.count, "reader made no progress on input \(i)")
                if fields > bytes.count { break }
            }
            if fields > 0 { decodedSomething += 1 }
            #expect(Self.roundTrips(RequestHead.self, bytes), "input \(i): \(bytes)")
            #expect(Self.roundTrips(ResponseHead.self, bytes), "input \(i): \(bytes)")
            #expect(Self.roundTrips(CancelBody.self, bytes), "input \(i): \(bytes)")
            #expect(Self.roundTrips(PingBody.self, bytes), "input \(i): \(bytes)")
            #expect(Self.roundTrips(GoAwayBody.self, bytes), "input \(i): \(bytes)")
            #expect(Self.roundTrips(SettingsBody.self, bytes), "input \(i): \(bytes)")
        }
        // The generator must reach past the first field often, or the test proves little.
        #expect(decodedSomething > 5_000)
    }

    @Test func randomFrameStreamsNeverTrap() {
        var rng = SeededRandom(seed: 99)
        let decoder = FrameDecoder(maxBodyLength: 64)
        for _ in 0..<2_000 {
            var bytes = rng.bytes(Int.random(in: 0...120, using: &rng))
            // Plausible length prefixes now and then, so some frames complete.
            if bytes.count >= 4, Bool.random(using: &rng) {
                bytes[0] = 0
                bytes[1] = 0
                bytes[2] = 0
                bytes[3] = UInt8.random(in: 0...80, using: &rng)
            }
            let whole = decode(bytes, pieceSizes: [bytes.count], decoder: decoder)
            #expect(decode(bytes, pieceSizes: [1], decoder: decoder) == whole)
            #expect(whole.frames.flatMap(\.encoded) == Array(bytes.prefix(whole.frames.flatMap(\.encoded).count)))
        }
    }

    static func string(_ rng: inout SeededRandom) -> String {
        let alphabet = Array("abcxyz/-_.é世🌍 0")
        return String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
    }

    static func metadata(_ rng: inout SeededRandom) -> [String: String] {
        var map: [String: String] = [:]
        for _ in 0..<Int.random(in: 0...3, using: &rng) { map[string(&rng)] = string(&rng) }
        return map
    }

    static func status(_ rng: inout SeededRandom) -> RPCStatus {
        RPCStatus(code: .init(rawValue: UInt32.random(in: 0...20, using: &rng)), message: string(&rng))
    }

    static func check<M: WireMessage & Equatable>(_ m: M) -> Bool { (try? M(decoding: m.encoded())) == m }

    @Test func randomMessagesRoundTripExactly() {
        var rng = SeededRandom(seed: 5)
        for _ in 0..<2_000 {
            let method = "svc/" + Self.string(&rng)
            let payload = rng.bytes(Int.random(in: 0...16, using: &rng))
            let request = RequestHead(
                method: method, timeoutMicros: rng.next() >> UInt64.random(in: 0...63, using: &rng),
                metadata: Self.metadata(&rng), payload: payload
            )
            #expect(Self.check(request), "\(request)")
            let response = ResponseHead(status: Self.status(&rng), metadata: Self.metadata(&rng), payload: payload)
            #expect(Self.check(response), "\(response)")
            #expect(Self.check(CancelBody(reason: Self.string(&rng))))
            #expect(Self.check(PingBody(opaque: rng.next())))
            #expect(
                Self.check(
                    GoAwayBody(lastStreamID: UInt32.random(in: .min ... .max, using: &rng), status: Self.status(&rng))))
            #expect(
                Self.check(
                    SettingsBody(
                        maxConcurrentStreams: UInt32.random(in: .min ... .max, using: &rng),
                        maxBodyLength: UInt32.random(in: .min ... .max, using: &rng)
                    )
                )
            )
        }
    }
}
