import Glibc
import MeshCore
import MeshCrypto
import MeshNode
import MeshWire
import NIOCore
import RPCBenchKit

/// The two Mesh-only rows the RPC table cannot show: what a handshake costs and how many frames
/// per second one core seals and opens. Printed after the RPC table when a Mesh target ran.
enum MeshCryptoCosts {
    static func report() -> String {
        var lines = [
            "", "### Mesh crypto costs (one core, in process)", "",
            "| what | median | per second |", "|---|---:|---:|",
        ]
        let hs = handshakeMicros(rounds: 300)
        lines.append(
            "| full handshake, both sides' CPU (hello, welcome, auth, certificate checks, key derivation) | \(format(hs)) µs | \(Int(1e6 / hs)) |"
        )
        for cipher in FrameCipher.supported {
            for size in [64, 4096] {
                let (seal, open) = sealOpenPerSecond(size: size, cipher: cipher, seconds: 1)
                lines.append("| seal \(size) B frame (\(cipher)) | \(format(1e6 / seal)) µs | \(Int(seal)) |")
                lines.append("| open \(size) B frame (\(cipher)) | \(format(1e6 / open)) µs | \(Int(open)) |")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func format(_ v: Double) -> String { v >= 10 ? "\(Int(v.rounded()))" : "\((v * 100).rounded() / 100)" }

    static func handshakeMicros(rounds: Int) -> Double {
        let ca = DevelopmentIdentity.ca
        let client = NodeIdentity.development(name: "bench-client", roles: [], ca: ca)
        let server = NodeIdentity.development(name: "bench-server", roles: [], ca: ca)
        let now = WallTime(secondsSinceEpoch: Int64(time(nil)))
        var samples: [Double] = []
        for _ in 0..<rounds {
            let start = MonotonicClock.nowNanos()
            var c = ClientHandshake(identity: client, now: now)
            var s = ServerHandshake(identity: server, now: now)
            guard let welcome = try? s.receiveHello(c.hello()[...]),
                let (auth, _, _) = try? c.receiveWelcome(welcome[...]),
                (try? s.receiveAuth(auth[...])) != nil
            else { fatalError("benchmark handshake failed") }
            samples.append(Double(MonotonicClock.nowNanos() - start) / 1000)
        }
        samples.sort()
        return samples[samples.count / 2]
    }

    static func sealOpenPerSecond(size: Int, cipher: FrameCipher, seconds: Double) -> (seal: Double, open: Double) {
        let key = [UInt8](repeating: 7, count: 32)
        var sealer = FrameSealer(key: key, cipher: cipher)
        let plaintext = ByteBuffer(repeating: 0xAB, count: size)
        let header = FrameHeader(type: .request, streamID: 1)
        var out = ByteBuffer()
        out.reserveCapacity(size + 64)
        let decoder = FrameDecoder()
        var n = 0
        let start = MonotonicClock.nowNanos()
        let budget = UInt64(seconds * 1e9)
        while MonotonicClock.nowNanos() - start < budget {
            out.clear()
            try! sealer.seal(header: header, plaintext: plaintext, into: &out)
            n += 1
        }
        let sealRate = Double(n) / (Double(MonotonicClock.nowNanos() - start) / 1e9)
        // Untimed: a fresh sealer's frames, in order, for the opener.
        var frameSealer = FrameSealer(key: key, cipher: cipher)
        var frames: [Frame] = []
        for _ in 0..<20_000 {
            var one = ByteBuffer()
            try! frameSealer.seal(header: header, plaintext: plaintext, into: &one)
            frames.append(try! decoder.decode(buffer: &one)!)
        }
        var opener = FrameOpener(key: key, cipher: cipher)
        let openStart = MonotonicClock.nowNanos()
        for f in frames { _ = try! opener.open(f) }
        let openRate = Double(frames.count) / (Double(MonotonicClock.nowNanos() - openStart) / 1e9)
        return (sealRate, openRate)
    }
}
