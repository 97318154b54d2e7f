import Foundation
import Logging
import MeshRPC
import MeshWire
import Synchronization
import Testing

@testable import meshnode

/// meshnode's log lines: byte-exact logfmt and JSON, and the trace id of the call in scope on every line.
@Suite("log handler")
struct LogHandlerTests {
    /// 2026-12-04T21:10:00.123Z
    static let instant = Date(timeIntervalSince1970: 1_796_418_600.123)

    @Test("logfmt: fixed keys first, metadata sorted, values quoted only when they must be")
    func logfmtLine() {
        let line = MeshLogHandler.line(
            format: .logfmt, timestamp: Self.instant, level: .warning, label: "meshnode",
            message: "peer \"b\" closed", metadata: ["mesh.peer": "node-2", "reason": "went away = gone", "n": "3"])
        #expect(
            line
                == #"ts=2026-12-04T21:10:00.123Z level=warning logger=meshnode msg="peer \"b\" closed" mesh.peer=node-2 n=3 reason="went away = gone""#
                + "\n")
    }

    @Test("JSON lines: one object per line, nested metadata as JSON, control characters escaped")
    func jsonLine() throws {
        let line = MeshLogHandler.line(
            format: .json, timestamp: Self.instant, level: .info, label: "meshnode", message: "two\nlines\u{1}",
            metadata: ["mesh.seeds": .array(["a:1", "b:2"]), "nested": .dictionary(["k": "v"])])
        #expect(
            line
                == #"{"ts":"2026-12-04T21:10:00.123Z","level":"info","logger":"meshnode","msg":"two\nlines\u0001","mesh.seeds":["a:1","b:2"],"nested":{"k":"v"}}"#
                + "\n")
        #expect(line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "two\nlines\u{1}")
    }

    @Test("a line logged inside a call carries trace.id and span.id, with any logger")
    func traceIDInCallLines() async {
        let lines = Mutex<[String]>([])
        let handler = MeshLogHandler(label: "t", format: .logfmt, level: .info) { line in
            lines.withLock { $0.append(line) }
        }
        let logger = Logger(label: "t") { _ in handler }
        let trace = TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")!
        logger.info("outside")
        await CallScope.withScope(deadline: nil, trace: trace) {
            logger.info("inside")
            CallScope.logger(logger).info("inside, scoped logger")
        }
        let all = lines.withLock { $0 }
        #expect(all.count == 3)
        #expect(!all[0].contains("trace.id"))
        for line in all.dropFirst() {
            #expect(line.contains(" span.id=00f067aa0ba902b7 trace.id=4bf92f3577b34da6a3ce929d0e0e4736"))
            #expect(!line.contains("trace-id"))
        }
    }
}
