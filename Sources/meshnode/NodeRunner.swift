import ArgumentParser
import Foundation
import Logging
import MeshAdminHTTP
import MeshNode
import MeshTransport
import Metrics
import Prometheus
import ServiceLifecycle

/// Runs one node from resolved settings: bootstraps logging and metrics (only `meshnode` does), starts the node
/// and, when asked, the admin HTTP endpoint in one `ServiceGroup`, and drains on SIGTERM or SIGINT.
///
/// Drain: the signal makes `/readyz` fail `draining`, the node announces its leave, sends goAway on every
/// connection and lets in-flight calls finish for up to `drainTimeout`, runs its drain hooks, and the process
/// exits 0. The group's own bound (`drainTimeout` plus 5 s for the leave and the hooks) cuts anything stuck.
struct NodeRunner {
    let settings: NodeSettings

    /// Extra time the group allows on top of the drain timeout (leave announcement, drain hooks, admin shutdown).
    static let shutdownSlack: Duration = .seconds(5)

    func run() async throws {
        let logger = MeshLogHandler.bootstrap(format: settings.logFormat, level: settings.logLevel, label: "meshnode")
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let dataDirectory = settings.configuration.dataDirectory
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create data dir \(dataDirectory): \(error.localizedDescription)")
        }
        if let edge = settings.edgeHTTP {
            logger.info("edge HTTP address configured", metadata: ["mesh.http": "\(edge)"])
        }
        let node = try MeshNodeRuntime(
            configuration: settings.configuration, logger: logger,
            onListening: { address in
                // A machine-readable readiness line on stdout (tests and scripts wait for it).
                Self.printLine("listening \(address)")
            })
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let adminAddress = settings.adminHTTP {
            let admin = AdminHTTPServer(
                node: node, registry: registry, address: adminAddress, logger: logger,
                onListening: { address in Self.printLine("admin listening \(address)") })
            // First in the group, so it stops last: /readyz answers `draining` while the node drains.
            services.append(.init(service: admin))
        }
        services.append(.init(service: node, successTerminationBehavior: .gracefullyShutdownGroup))
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration =
            .nanoseconds(settings.drainTimeout.nanoseconds) + Self.shutdownSlack
        try await ServiceGroup(configuration: configuration).run()
    }

    static func printLine(_ line: String) {
        FileHandle.standardOutput.write(Data("\(line)\n".utf8))
    }
}
