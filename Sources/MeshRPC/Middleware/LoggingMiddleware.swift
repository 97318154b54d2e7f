import Logging
import MeshCore
import MeshWire

/// One structured log line per call, at `level` for successes and `failureLevel` for failures, carrying
/// `mesh.method`, `mesh.peer`, `outcome`, `duration-ms` and, when a trace is in scope, `trace-id`/`span-id`.
/// Place it after `TracingMiddleware` so the server side logs this node's span.
public struct LoggingMiddleware: InlineServerMiddleware, ClientMiddleware {
    let logger: Logger
    let level: Logger.Level
    let failureLevel: Logger.Level
    let clock: any MeshClock

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
    }

    public func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError) -> ServerResponse {
        guard logger.logLevel <= max(level, failureLevel) else { return try await next(call) }
        let start = clock.now()
        do {
            let response = try await next(call)
            log(level, "call served", call.context.method, call.context.peerName, "ok", since: start)
            return response
        } catch {
            log(failureLevel, "call failed: \(error.message)", call.context.method, call.context.peerName, "\(error.code)", since: start)
            throw error
        }
    }

    public func interceptInline(_ call: ServerCall, next: InlineServerNext) throws(RPCError) -> ServerResponse {
        guard logger.logLevel <= max(level, failureLevel) else { return try next(call) }
        let start = clock.now()
        do {
            let response = try next(call)
            log(level, "call served", call.context.method, call.context.peerName, "ok", since: start)
            return response
        } catch {
            log(failureLevel, "call failed: \(error.message)", call.context.method, call.context.peerName, "\(error.code)", since: start)
            throw error
        }
    }

    public func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError) -> ResponseHead {
        guard logger.logLevel <= max(level, failureLevel) else { return try await next(call) }
        let start = clock.now()
        do {
            let response = try await next(call)
            log(level, "call returned", call.method, call.peer, "ok", since: start)
            return response
        } catch {
            log(failureLevel, "call failed: \(error.message)", call.method, call.peer, "\(error.code)", since: start)
            throw error
        }
    }

    /// Logs a call the standard client middleware timed itself (one clock reading shared with metrics).
    func clientFinished(_ call: ClientCall, _ error: RPCError?, elapsed: MeshDuration) {
        finished("call returned", call.method, call.peer, error, elapsed)
    }

    /// Logs a call the standard server middleware timed itself.
    func serverFinished(_ call: ServerCall, _ error: RPCError?, elapsed: MeshDuration) {
        finished("call served", call.context.method, call.context.peerName, error, elapsed)
    }

    private func finished(_ success: String, _ method: String, _ peer: String, _ error: RPCError?, _ elapsed: MeshDuration) {
        if let error {
            guard logger.logLevel <= failureLevel else { return }
            log(failureLevel, "call failed: \(error.message)", method, peer, "\(error.code)", elapsed: elapsed)
        } else {
            log(level, success, method, peer, "ok", elapsed: elapsed)
        }
    }

    private func log(
        _ level: Logger.Level, _ message: String, _ method: String, _ peer: String, _ outcome: String, since start: MeshInstant
    ) {
        guard logger.logLevel <= level else { return }
        log(level, message, method, peer, outcome, elapsed: clock.now() - start)
    }

    private func log(
        _ level: Logger.Level, _ message: String, _ method: String, _ peer: String, _ outcome: String, elapsed: MeshDuration
    ) {
        guard logger.logLevel <= level else { return }
        CallScope.logger(logger).log(
            level: level,
            "\(message)",
            metadata: [
                "mesh.method": "\(method)", "mesh.peer": "\(peer)", "outcome": "\(outcome)",
                "duration-ms": "\(elapsed.milliseconds)",
            ]
        )
    }
}
