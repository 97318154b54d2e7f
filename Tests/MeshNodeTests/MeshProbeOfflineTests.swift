import Foundation
import MeshLog
import MeshTestKit
import MeshWire
import Testing

/// `meshprobe log` on real log directories and `meshprobe decode` on proto-spec's byte-exact vectors, through
/// the built binary.
@Suite("meshprobe offline: log and decode")
final class MeshProbeOfflineTests {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "mesh-probe-offline-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func probe(_ arguments: [String], stdin: [UInt8]? = nil) async throws -> MeshProbeRun {
        try await MeshProbeRun.run(arguments, in: dir, stdin: stdin)
    }

    // MARK: log

    /// A node data directory with one service log of 20 records over several small segments.
    func writeLog() async throws -> (data: String, log: String) {
        let data = "\(dir)/data"
        let log = "\(data)/inventory"
        let eventLog = try EventLog.open(directory: log, configuration: LogConfiguration(segmentMaxBytes: 400))
        for i in 1...20 {
            var w = PayloadWriter()
            w.string(1, "guest-\(i)")
            w.uint(2, UInt64(i))
            _ = try await eventLog.append(NewRecord(type: UInt16(1 + i % 2), streamKey: "res-\(i)", payload: w.bytes))
        }
        eventLog.close()
        return (data, "\(log)")
    }

    func segments(_ log: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: log).filter { $0.hasSuffix(".seg") }.sorted().map {
            "\(log)/\($0)"
        }
    }

    @Test func statsAndTailReadAServicesLogFromTheDataDirectory() async throws {
        let (data, log) = try await writeLog()
        let stats = try await probe(["log", "stats", data, "--json"])
        #expect(stats.status == 0, "\(stats.stderr)")
        let logs = try #require(stats.json()["logs"] as? [[String: Any]])
        #expect(logs.count == 1)
        #expect(logs[0]["directory"] as? String == log)
        #expect(logs[0]["records"] as? Int == 20)
        #expect(logs[0]["firstSequence"] as? Int == 1 && logs[0]["lastSequence"] as? Int == 20)
        let segs = try #require(logs[0]["segments"] as? [[String: Any]])
        #expect(segs.count >= 3, "\(segs)")
        #expect(segs.map { $0["state"] as? String } == Array(repeating: "sealed", count: segs.count - 1) + ["active"])
        #expect(segs.compactMap { $0["records"] as? Int }.reduce(0, +) == 20)
        #expect(segs.first?["baseSequence"] as? Int == 1)
        let types = try #require(logs[0]["types"] as? [[String: Any]])
        #expect(types.map { [$0["type"] as? Int, $0["records"] as? Int] } == [[1, 10], [2, 10]])

        let table = try await probe(["log", "stats", log])
        #expect(table.status == 0)
        #expect(table.lines.first == "log \(log)")
        #expect(table.lines.contains { $0.hasPrefix("00000000000000000001.seg") && $0.contains("sealed") })

        let tail = try await probe(["log", "tail", log, "-n", "3", "--json"])
        #expect(tail.status == 0, "\(tail.stderr)")
        let records = try #require((tail.json()["logs"] as? [[String: Any]])?.first?["records"] as? [[String: Any]])
        #expect(records.map { $0["sequence"] as? Int } == [18, 19, 20])
        let last = records[2]
        #expect(last["streamKey"] as? String == "res-20")
        #expect(last["type"] as? Int == 1)
        #expect(last["payloadBytes"] as? Int == 12)
        #expect((last["time"] as? String)?.hasSuffix("Z") == true)
        let fields = try #require(last["fields"] as? [[String: Any]])
        #expect(fields[0]["field"] as? Int == 1 && fields[0]["string"] as? String == "guest-20")
        #expect(fields[1]["field"] as? Int == 2 && fields[1]["varint"] as? Int == 20)

        let human = try await probe(["log", "tail", log, "-n", "2"])
        #expect(
            human.lines.contains {
                $0.hasPrefix("20 ") && $0.contains("res-20") && $0.contains("{1: \"guest-20\", 2: 20}")
            })
        #expect(human.lines.allSatisfy { $0.count <= 80 })
    }

    @Test func verifyNamesTheFileAndOffsetOfAFlippedByteInASealedSegment() async throws {
        let (data, log) = try await writeLog()
        let clean = try await probe(["log", "verify", data])
        #expect(clean.status == 0, "\(clean.stdout)")
        #expect(clean.lines.first?.hasSuffix(": ok") == true, "\(clean.stdout)")

        // Flip one payload byte of the second record of the first (sealed) segment.
        let sealed = try segments(log)[0]
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: sealed)))
        let second = 40 + Int(bytes[40]) + Int(bytes[41]) << 8
        bytes[second + 30] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: sealed))

        let damaged = try await probe(["log", "verify", data, "--json"])
        #expect(damaged.status == 1, "\(damaged.stdout)")
        let doc = try damaged.json()
        #expect(doc["ok"] as? Bool == false)
        let damage = try #require((doc["logs"] as? [[String: Any]])?.first?["damage"] as? [[String: Any]])
        #expect(damage.count == 1)
        #expect(damage.first?["kind"] as? String == "corruption")
        #expect(damage.first?["file"] as? String == sealed)
        #expect(damage.first?["offset"] as? Int == second)
        #expect((damage.first?["reason"] as? String)?.hasPrefix("checksum mismatch") == true)
        let human = try await probe(["log", "verify", log])
        #expect(human.status == 1)
        #expect(
            human.stdout.contains("corruption in \(sealed) at offset \(second): checksum mismatch"), "\(human.stdout)")
        // The writer refuses the same directory, naming the same place.
        let refusal = #expect(throws: LogError.self) { try EventLog.open(directory: log) }
        #expect(refusal?.file == sealed && refusal?.offset == second, "\(String(describing: refusal))")
    }

    @Test func aTornTailOfTheActiveSegmentIsReportedButIsNoProblem() async throws {
        let (_, log) = try await writeLog()
        let active = try segments(log).last!
        let size = try FileManager.default.attributesOfItem(atPath: active)[.size] as! Int
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: active))
        handle.seekToEndOfFile()
        handle.write(Data([0x40, 0, 0, 0, 1, 2]))  // a record that announces 64 bytes and ends after 6
        try handle.close()
        let run = try await probe(["log", "verify", log, "--json"])
        #expect(run.status == 0, "\(run.stdout)")
        let damage = try #require((run.json()["logs"] as? [[String: Any]])?.first?["damage"] as? [[String: Any]])
        #expect(damage.first?["kind"] as? String == "tornTail")
        #expect(damage.first?["offset"] as? Int == size)
        #expect(damage.first?["bytesAfter"] as? Int == 6)
    }

    @Test func aDirectoryWithoutALogIsAUsageError() async throws {
        try FileManager.default.createDirectory(atPath: "\(dir)/empty/sub", withIntermediateDirectories: true)
        let run = try await probe(["log", "stats", "\(dir)/empty", "--json"])
        #expect(run.status == 2)
        #expect((try run.json()["error"] as? [String: Any])?["kind"] as? String == "usage")
        #expect(run.stderr.contains("no event log in"))
    }

    // MARK: decode

    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("proto-spec/vectors")

    /// `name: hex` entries of a vector file, in order.
    static func vectors(_ file: String) throws -> [(name: String, hex: String)] {
        try String(contentsOf: vectors.appendingPathComponent(file), encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") && $0.contains(":") }
            .map { line in
                let colon = line.firstIndex(of: ":")!
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
    }

    static func field(_ fields: Any?, _ number: Int) -> [String: Any]? {
        (fields as? [[String: Any]])?.first { $0["field"] as? Int == number }
    }

    @Test func everyFrameVectorDecodesToItsHeaderAndBody() async throws {
        let all = try Self.vectors("frames.txt")
        for (name, hex) in all where name.hasPrefix("frame.") {
            let run = try await probe(["decode", hex, "--phase", "plaintext", "--json"])
            // The handshake vectors of frames.txt carry opaque bytes, not real messages: shown as invalid bodies.
            let opaque = ["frame.hello", "frame.welcome", "frame.auth"].contains(name)
            #expect(run.status == (opaque ? 1 : 0), "\(name): \(run.stdout)")
            let frames = try #require(run.json()["frames"] as? [[String: Any]], "\(name)")
            #expect(frames.count == 1, "\(name)")
            let frame = frames[0]
            let type = String(name.dropFirst("frame.".count).split(separator: "-")[0])
            #expect(frame["typeName"] as? String == type, "\(name)")
            #expect(frame["length"] as? Int == hex.count / 2 - 4, "\(name)")
            #expect(frame["bodyBytes"] as? Int == hex.count / 2 - 12, "\(name)")
            if name == "frame.ping-reserved-flags" { #expect(frame["flags"] as? Int == 0x8001) }
        }
        let request = try await probe(["decode", all.first { $0.name == "frame.request" }!.hex, "--json"])
        let head = try #require(request.json()["frames"] as? [[String: Any]]).first
        #expect(head?["message"] as? String == "RequestHead")
        #expect(Self.field(head?["fields"], 1)?["string"] as? String == "inventory/Reserve")
        #expect(Self.field(head?["fields"], 2)?["varint"] as? Int == 250_000)
        #expect(Self.field(head?["fields"], 1)?["name"] as? String == "method")
        let goAway = try await probe(["decode", all.first { $0.name == "frame.goAway" }!.hex])
        #expect(
            goAway.lines.prefix(5) == [
                "@0 goAway stream 0 len 27 version 1, body 19 bytes", "  GoAwayBody", "    1 lastStreamID: 7",
                "    2 code: 14", "    3 message: \"node draining\"",
            ])

        for (name, hex) in all where name.hasPrefix("reject.") {
            let code = name.split(separator: ".")[1]
            let run = try await probe(["decode", hex, "--json"])
            #expect(run.status == 1, "\(name): \(run.stdout)")
            let doc = try run.json()
            let reasons =
                ((doc["frames"] as? [[String: Any]]) ?? []).compactMap { $0["error"] as? String }
                + [(doc["trailing"] as? [String: Any])?["reason"] as? String].compactMap { $0 }
            #expect(reasons.contains { $0.hasPrefix(String(code)) }, "\(name): \(reasons)")
        }
    }

    @Test func aCapturedConnectionShowsTheHandshakeInFullAndSealedFramesByTheirCounters() async throws {
        let handshake = Dictionary(uniqueKeysWithValues: try Self.vectors("handshake.txt").map { ($0.name, $0.hex) })
        let sealed = Dictionary(uniqueKeysWithValues: try Self.vectors("sealed-frame.txt").map { ($0.name, $0.hex) })
        // Client → server as a binary capture file.
        let c2s = try #require(
            MeshProbeOfflineTests.bytes(
                handshake["hello-frame"]! + handshake["auth-frame"]! + sealed["c2s-ping-0"]! + sealed["c2s-ping-1"]!))
        try Data(c2s).write(to: URL(fileURLWithPath: "\(dir)/c2s.bin"))
        let client = try await probe(["decode", "--file", "\(dir)/c2s.bin", "--json"])
        #expect(client.status == 0, "\(client.stdout)")
        let frames = try #require(client.json()["frames"] as? [[String: Any]])
        #expect(frames.map { $0["typeName"] as? String } == ["hello", "auth", "ping", "ping"])
        #expect(Self.field(frames[0]["fields"], 1)?["varint"] as? Int == 1)
        #expect(Self.field(frames[0]["fields"], 2)?["name"] as? String == "clusterID")
        let certificate = Self.field(frames[1]["fields"], 1)?["message"]
        let tbs = Self.field(certificate, 1)?["message"]
        #expect(Self.field(tbs, 1)?["string"] as? String == "client-1")
        #expect(Self.field(tbs, 6)?["string"] as? String == "vector-cluster")
        for (i, frame) in frames.dropFirst(2).enumerated() {
            let s = frame["sealed"] as? [String: Any]
            #expect(s?["nonceCounter"] as? Int == i && s?["ciphertextBytes"] as? Int == 9, "\(frame)")
            #expect(frame["fields"] == nil)
        }
        // Server → client as hex text on standard input.
        let s2c = handshake["welcome-frame"]! + "\n" + sealed["s2c-ping-0"]! + "\n" + sealed["s2c-ping-1"]!
        let server = try await probe(["decode", "--json"], stdin: Array(s2c.utf8))
        let serverFrames = try #require(server.json()["frames"] as? [[String: Any]])
        #expect(serverFrames.map { $0["typeName"] as? String } == ["welcome", "ping", "ping"])
        let serverTBS = Self.field(Self.field(serverFrames[0]["fields"], 3)?["message"], 1)?["message"]
        #expect(Self.field(serverTBS, 1)?["string"] as? String == "server-1")
        #expect((serverFrames[2]["sealed"] as? [String: Any])?["nonceCounter"] as? Int == 1)
    }

    @Test func everyRPCMessageVectorDecodesAsABareBody() async throws {
        for (name, hex) in try Self.vectors("rpc-messages.txt") {
            let message = String(name.split(separator: ".")[0])
            let run = try await probe(["decode", "--body", message, hex, "--json"])
            let doc = try run.json()
            #expect(doc["message"] as? String == message)
            if name.contains(".reject.") {
                let code = name.split(separator: ".")[2]
                #expect(run.status == 1, "\(name)")
                #expect((doc["error"] as? String)?.hasPrefix(String(code)) == true, "\(name): \(doc)")
            } else {
                #expect(run.status == 0, "\(name): \(run.stdout)")
                #expect(doc["bytes"] as? Int == hex.count / 2)
            }
        }
        let full = try await probe([
            "decode", "--body", "ResponseHead",
            try Self.vectors("rpc-messages.txt").first {
                $0.name == "ResponseHead.deadlineExceeded"
            }!.hex, "--json",
        ])
        let fields = try full.json()["fields"]
        #expect(Self.field(fields, 1)?["varint"] as? Int == 4)
        #expect(Self.field(fields, 2)?["string"] as? String == "deadline exceeded after 250 ms")
        let entry = Self.field(fields, 3)?["message"]
        #expect(Self.field(entry, 1)?["string"] as? String == "retry-after-ms")
    }

    static func bytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        return stride(from: 0, to: digits.count, by: 2).compactMap {
            UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)
        }
    }
}
