import Logging
import MeshCore
import MeshWire

/// What a call in progress passes to the calls it makes, through one task-local: the caller's deadline and
/// trace context. Server middleware binds them around a handler; client middleware reads them, so a
/// nested call inherits the remaining time budget and joins the same trace without any plumbing.
public enum CallScope {
    /// The deadline of the call being served, on this node's monotonic clock; nil outside a call or if none.
    public static var deadline: MeshInstant? { bound.deadline }
    /// The trace context of the call being served (its span is this node's span).
    public static var trace: TraceContext? { bound.trace }

    /// Both values in one task-local, so a served call costs one binding (one push), not one per value.
    struct Values: Sendable {
        var deadline: MeshInstant?
        var trace: TraceContext?
    }

    @TaskLocal static var bound = Values()

    /// Runs `body` with this deadline and trace in scope, as a served call has them: the calls it makes inherit
    /// them (e.g. a batch job giving its calls one shared deadline). An omitted value keeps what is in scope.
    nonisolated(nonsending) public static func withScope<R>(
        deadline: MeshInstant? = CallScope.deadline,
        trace: TraceContext? = CallScope.trace,
        _ body: () async throws -> R
    ) async rethrows -> R {
        try await $bound.withValue(Values(deadline: deadline, trace: trace), operation: body)
    }

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
    /// Runs `body` with `deadline` bound (the trace in scope stays), keeping `body`'s typed error.
    nonisolated(nonsending) static func with<R: Sendable>(
        deadline: MeshInstant?,
        _ body: nonisolated(nonsending) () async throws(RPCError) -> R
    ) async throws(RPCError) -> R {
        try await with(Values(deadline: deadline, trace: trace), body)
    }

    /// Runs `body` with `trace` bound (the deadline in scope stays), keeping `body`'s typed error.
    nonisolated(nonsending) static func with<R: Sendable>(
        trace: TraceContext,
        _ body: nonisolated(nonsending) () async throws(RPCError) -> R
    ) async throws(RPCError) -> R {
        try await with(Values(deadline: deadline, trace: trace), body)
    }

    /// Runs `body` with both values bound, keeping `body`'s typed error.
    nonisolated(nonsending) static func with<R: Sendable>(
        _ values: Values,
        _ body: nonisolated(nonsending) () async throws(RPCError) -> R
    ) async throws(RPCError) -> R {
        let result: Result<R, RPCError> = await $bound.withValue(values) {
            do throws(RPCError) { return .success(try await body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Runs the synchronous `body` with `deadline` bound (works outside a task too).
    static func withInline<R>(deadline: MeshInstant?, _ body: () throws(RPCError) -> R) throws(RPCError) -> R {
        try withInline(Values(deadline: deadline, trace: trace), body)
    }

    /// Runs the synchronous `body` with `trace` bound (works outside a task too).
    static func withInline<R>(trace: TraceContext, _ body: () throws(RPCError) -> R) throws(RPCError) -> R {
        try withInline(Values(deadline: deadline, trace: trace), body)
    }

    /// Runs the synchronous `body` with both values bound. `TaskLocal.withValue` for a body with typed throws
    /// (its own signature throws untyped errors).
    static func withInline<R>(_ values: Values, _ body: () throws(RPCError) -> R) throws(RPCError) -> R {
        let result: Result<R, RPCError> = $bound.withValue(values) {
            do throws(RPCError) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
