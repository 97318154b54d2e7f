import Foundation
import Hummingbird
import Logging
import MeshNode
import MeshTransport
import NIOCore
import Prometheus
import ServiceLifecycle

/// The node's admin HTTP endpoint, on its own address (never the mesh port):
///
/// - `GET /healthz`: 200 while the process serves HTTP at all. It never looks at the gossip view, so a partition
///   does not turn into a restart storm.
/// - `GET /readyz`: 200 when every readiness check of the node passes, else 503; the JSON body lists every check
///   and names the failing ones: `{"ready":false,"failing":["membership"],"checks":[{"name":…,"ready":…,"reason":…}]}`.
/// - `GET /metrics`: the Prometheus text exposition of `registry` (every `mesh_*` metric the node recorded, once
///   `meshnode` has bootstrapped swift-metrics with a `PrometheusMetricsFactory` on that registry).
///
/// A ServiceLifecycle `Service`: run it in the node's `ServiceGroup`, before the node, so it outlives the drain
/// (the group stops services in reverse order) and `/readyz` reports `draining` meanwhile.
public struct AdminHTTPServer: Service {
    private let application: any Service

    /// `onListening` receives the bound address (the port is chosen by the system when `address.port` is 0).
    public init(
        node: MeshNodeRuntime,
        registry: PrometheusCollectorRegistry,
        address: HostPort,
        logger: Logger,
        onListening: @escaping @Sendable (HostPort) -> Void = { _ in }
    ) {
        let router = Router()
        router.get("/healthz") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { _, _ in
            let report = await node.readiness()
            return Response(
                status: report.isReady ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: ReadinessBody(report).encoded())))
        }
        router.get("/metrics") { _, _ in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16 * 1024)
            registry.emit(into: &bytes)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        var logger = logger
        logger[metadataKey: "mesh.admin"] = "http"
        application = Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(address.host, port: address.port), serverName: "meshnode-admin"),
            onServerRunning: { channel in
                let bound = channel.localAddress
                onListening(HostPort(host: bound?.ipAddress ?? address.host, port: bound?.port ?? address.port))
            },
            logger: logger
        )
    }

    public func run() async throws { try await application.run() }
}

/// The JSON body of `/readyz`.
struct ReadinessBody: Encodable {
    struct Check: Encodable {
        var name: String
        var ready: Bool
        var reason: String?
    }
    var ready: Bool
    var failing: [String]
    var checks: [Check]

    init(_ report: ReadinessReport) {
        ready = report.isReady
        failing = report.failing
        checks = report.entries.map { entry in
            switch entry.status {
            case .ready: Check(name: entry.name, ready: true, reason: nil)
            case .notReady(let reason): Check(name: entry.name, ready: false, reason: reason)
            }
        }
    }

    func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Strings, Bools and arrays of them always encode.
        return Array((try? encoder.encode(self)) ?? Data("{}".utf8)) + [0x0A]
    }
}
