import Logging
import MeshCore
import MeshWire

/// What a call in progress passes to the calls it makes, through task-locals: the caller's deadline and
/// trace context. Server middleware binds them around a handler; client middleware reads them, so a
/// nested call inherits the remaining time budget and joins the same trace without any plumbing.
public enum CallScope {
    /// The deadline of the call being served, on this node's monotonic clock; nil outside a call or if none.
    @TaskLocal public static var deadline: MeshInstant?
    /// The trace context of the call being served (its span is this node's span).
    @TaskLocal public static var trace: TraceContext?

    /// `logger` with `trace-id` and `span-id` metadata when a trace is in scope: use it in handlers.
    public static func logger(_ logger: Logger) -> Logger {
        guard let trace else { return logger }
        var l = logger
        l[metadataKey: "trace-id"] = "\(trace.traceID)"
        l[metadataKey: "span-id"] = "\(trace.spanIDString)"
        return l
    }
}

extension CallScope {
    /// Runs `body` with `deadline` bound, keeping `body`'s typed error.
    static func with<R: Sendable>(
        deadline: MeshInstant?,
        _ body: () async throws(RPCError) -> R
    ) async throws(RPCError) -> R {
        let result: Result<R, RPCError> = await $deadline.withValue(deadline) {
            do throws(RPCError) { return .success(try await body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Runs `body` with `trace` bound, keeping `body`'s typed error.
    static func with<R: Sendable>(
        trace: TraceContext,
        _ body: () async throws(RPCError) -> R
    ) async throws(RPCError) -> R {
        let result: Result<R, RPCError> = await $trace.withValue(trace) {
            do throws(RPCError) { return .success(try await body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Runs the synchronous `body` with `deadline` bound (works outside a task too).
    static func withInline<R>(deadline: MeshInstant?, _ body: () throws(RPCError) -> R) throws(RPCError) -> R {
        try bind($deadline, deadline, body)
    }

    /// Runs the synchronous `body` with `trace` bound (works outside a task too).
    static func withInline<R>(trace: TraceContext, _ body: () throws(RPCError) -> R) throws(RPCError) -> R {
        try bind($trace, trace, body)
    }

    /// `TaskLocal.withValue` for a body with typed throws (its own signature throws untyped errors).
    private static func bind<V: Sendable, R>(
        _ local: TaskLocal<V>, _ value: V, _ body: () throws(RPCError) -> R
    ) throws(RPCError) -> R {
        let result: Result<R, RPCError> = local.withValue(value) {
            do throws(RPCError) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
