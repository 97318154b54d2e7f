import Logging
import MeshCore
import MeshWire

/// What a call in progress passes to the calls it makes: the caller's deadline and trace context. Server middleware
/// binds them around a handler; client middleware reads them, so a nested call inherits the remaining time budget and
/// joins the same trace without any plumbing.
///
/// An async handler has them in one task-local, which tasks it starts inherit. An inline handler (synchronous, on the
/// event loop) has them in thread-specific storage for as long as it runs, which costs no allocation per call; a task
/// such a handler starts does not inherit them: pass the context's `deadline` and `trace` to it, or give the task
/// `CallScope.withScope(deadline:trace:)`.
public enum CallScope {
    /// The deadline of the call being served, on this node's monotonic clock; nil outside a call or if none.
    public static var deadline: MeshInstant? { bound.deadline }
    /// The trace context of the call being served (its span is this node's span).
    public static var trace: TraceContext? { bound.trace }

    /// Both values together, so a served call binds once, not once per value.
    struct Values: Sendable {
        var deadline: MeshInstant?
        var trace: TraceContext?
    }

    /// What is in scope: an inline call's values on this thread while one runs, else the task's.
    static var bound: Values { InlineScope.current ?? taskBound }

    @TaskLocal static var taskBound = Values()

    /// Runs `body` with this deadline and trace in scope, as a served call has them: the calls it makes inherit
    /// them (e.g. a batch job giving its calls one shared deadline). An omitted value keeps what is in scope.
    nonisolated(nonsending) public static func withScope<R>(
        deadline: MeshInstant? = CallScope.deadline,
        trace: TraceContext? = CallScope.trace,
        _ body: () async throws -> R
    ) async rethrows -> R {
        try await $taskBound.withValue(Values(deadline: deadline, trace: trace), operation: body)
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
        let result: Result<R, RPCError> = await $taskBound.withValue(values) {
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

    /// Runs the synchronous `body` (an inline call) with both values bound in this thread's storage: no allocation.
    /// Tasks `body` starts do not inherit them (see the type's comment).
    static func withInline<R>(_ values: Values, _ body: () throws(RPCError) -> R) throws(RPCError) -> R {
        let slot = InlineScope.slot()
        let outer = slot.pointee
        slot.pointee = values
        defer { slot.pointee = outer }
        return try body()
    }

    /// Runs the synchronous `body` with both values bound in the task-local, so that a task `body` starts inherits
    /// them (the transport starts an async handler's task this way).
    static func forTasks<R>(_ values: Values, _ body: () throws(RPCError) -> R) throws(RPCError) -> R {
        let result: Result<R, RPCError> = $taskBound.withValue(values) {
            do throws(RPCError) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

/// The scope of the inline call running on this thread, in thread-specific storage made once per thread.
enum InlineScope {
    static let storage = ThreadSlot<CallScope.Values?>("call scopes")

    /// The values of the inline call running on this thread; nil if none is.
    static var current: CallScope.Values? { storage.existing?.pointee ?? nil }

    /// This thread's slot, made on first use.
    static func slot() -> UnsafeMutablePointer<CallScope.Values?> { storage.pointer { nil } }
}
