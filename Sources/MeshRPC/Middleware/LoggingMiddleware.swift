import Logging
import MeshCore
import MeshWire

/// One structured log line per call, at `level` for successes and `failureLevel` for failures, carrying
/// `mesh.method`, `mesh.peer`, `outcome`, `duration-ms` and, when a trace is in scope, `trace-id`/`span-id`.
/// Place it after `TracingMiddleware` so the server side logs this node's span.
///
/// The logger's level is read once, when the middleware is made: a call whose line that level would drop costs
/// no log handler access. (A `Logger` is a value, so its level cannot change later unless its handler is a shared
/// object whose level is changed in place; make the middleware again then.)
public struct LoggingMiddleware: InlineServerMiddleware, ClientMiddleware {
    let logger: Logger
    let level: Logger.Level
    let failureLevel: Logger.Level
    let clock: any MeshClock
    /// Whether successes and failures are logged at all, as of `init`.
    let logsSuccesses: Bool
    let logsFailures: Bool

    public init(
        logger: Logger,
        level: Logger.Level = .debug,
        failureLevel: Logger.Level = .info,
        clock: any MeshClock = SystemClock()
    ) {
        self.logger = logger
        self.level = level
        self.failureLevel = failureLevel
        self.clock = clock
        let enabled = logger.logLevel
        self.logsSuccesses = enabled <= level
        self.logsFailures = enabled <= failureLevel
    }

    nonisolated(nonsending) public func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError)
        -> ServerResponse
    {
        guard logsSuccesses || logsFailures else { return try await next(call) }
        let start = clock.now()
        do {
            let response = try await next(call)
            serverFinished(call, nil, elapsed: clock.now() - start)
            return response
        } catch {
            serverFinished(call, error, elapsed: clock.now() - start)
            throw error
        }
    }

    public func interceptInline(_ call: ServerCall, next: InlineServerNext) throws(RPCError) -> ServerResponse {
        guard logsSuccesses || logsFailures else { return try next(call) }
        let start = clock.now()
        do {
            let response = try next(call)
            serverFinished(call, nil, elapsed: clock.now() - start)
            return response
        } catch {
            serverFinished(call, error, elapsed: clock.now() - start)
            throw error
        }
    }

    nonisolated(nonsending) public func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError)
        -> ResponseHead
    {
        guard logsSuccesses || logsFailures else { return try await next(call) }
        let start = clock.now()
        do {
            let response = try await next(call)
            clientFinished(call, nil, elapsed: clock.now() - start)
            return response
        } catch {
            clientFinished(call, error, elapsed: clock.now() - start)
            throw error
        }
    }

    /// Logs a finished client call (`elapsed` is only evaluated if the line is logged).
    func clientFinished(_ call: ClientCall, _ error: RPCError?, elapsed: @autoclosure () -> MeshDuration) {
        finished("call returned", call.method, call.peer, error, elapsed)
    }

    /// Logs a served call (`elapsed` is only evaluated if the line is logged).
    func serverFinished(_ call: ServerCall, _ error: RPCError?, elapsed: @autoclosure () -> MeshDuration) {
        finished("call served", call.context.method, call.context.peerName, error, elapsed)
    }

    private func finished(
        _ success: String, _ method: String, _ peer: String, _ error: RPCError?, _ elapsed: () -> MeshDuration
    ) {
        guard error == nil ? logsSuccesses : logsFailures else { return }
        let level = error == nil ? self.level : failureLevel
        CallScope.logger(logger).log(
            level: level,
            "\(error.map { "call failed: \($0.message)" } ?? success)",
            metadata: [
                "mesh.method": "\(method)", "mesh.peer": "\(peer)", "outcome": "\(error.map { "\($0.code)" } ?? "ok")",
                "duration-ms": "\(elapsed().milliseconds)",
            ]
        )
    }
}
