import MeshLog
import MeshRPC
import MeshSaga

/// What a consumer's handler decides for one event.
public enum InboxVerdict: Sendable {
    /// Apply it: these records are its effects, written atomically with the inbox marker.
    case apply(effects: [InboxEntry.Effect])
    /// Never acceptable (invalid, not merely "not now"): the producer dead-letters it.
    case reject(reason: String)
}

/// The consumer side of the outbox protocol: an idempotent inbox over the consumer's own log.
///
/// Invariants:
/// - An applied event's effects and its marker `(origin, epoch, sequence)` are ONE log record
///   (`InboxEntry.recordType`), so a crash leaves both or neither.
/// - The ledger is rebuilt from those records on open and updated only after the record is durable, so a
///   redelivered event (lost acknowledgement, relay restart) is answered `duplicate` with no second effect.
/// - Concurrent deliveries of the same event: the second is refused with `unavailable` (retried by the relay)
///   until the first has settled.
public actor Inbox {
    public typealias Handler = @Sendable (DeliveredEvent) async throws -> InboxVerdict

    public nonisolated let log: EventLog
    private let handler: Handler
    private var ledger: InboxLedger
    private var inFlight: Set<EventID> = []

    /// Rebuilds the dedupe ledger from every inbox entry in `log`.
    public init(log: EventLog, handler: @escaping Handler) throws(OutboxError) {
        self.log = log
        self.handler = handler
        var ledger = InboxLedger()
        var next: UInt64 = log.firstLocalSequence
        while true {
            let records: [LogRecord]
            do {
                records = try log.read(from: next, limit: 4096)
            } catch {
                throw OutboxError(.log, "cannot read the inbox log", cause: error)
            }
            guard let last = records.last else { break }
            for record in records where record.type == InboxEntry.recordType {
                do {
                    ledger.markApplied(try InboxEntry(decoding: record.payload).marker)
                } catch {
                    throw OutboxError(.corruptRecord, "inbox entry at sequence \(record.sequence)", cause: error)
                }
            }
            next = last.sequence + 1
        }
        self.ledger = ledger
    }

    /// The dedupe state (for operators and tests).
    public var applied: InboxLedger { ledger }

    /// The log stream of inbox entries for events from `origin`.
    public static func streamKey(for origin: EventOrigin) -> String { "mesh.inbox/" + origin.node.rawValue }

    /// Handles a batch in order; one outcome per event.
    public func receive(_ request: DeliverRequest) async throws(RPCError) -> DeliverResponse {
        var outcomes: [DeliveryOutcome] = []
        for event in request.events { outcomes.append(try await receive(event)) }
        return DeliverResponse(outcomes: outcomes)
    }

    /// Handles one event: `duplicate` if its marker is already durable, else runs the handler and appends the
    /// entry. Handler and log failures throw (the producer retries later); nothing is recorded then.
    public func receive(_ event: DeliveredEvent) async throws(RPCError) -> DeliveryOutcome {
        let id = event.id
        if ledger.decide(id) == .duplicate { return .duplicate }
        guard inFlight.insert(id).inserted else {
            throw RPCError(.unavailable, "event \(id) is being applied right now")
        }
        defer { inFlight.remove(id) }
        let verdict: InboxVerdict
        do {
            verdict = try await handler(event)
        } catch {
            throw RPCError(.internal, "handler failed for \(id): \(error)")
        }
        switch verdict {
        case .reject(let reason):
            return .rejected(reason: reason)
        case .apply(let effects):
            let entry = InboxEntry(marker: id, effects: effects)
            do {
                _ = try await log.append(
                    NewRecord(
                        type: InboxEntry.recordType, streamKey: Self.streamKey(for: id.origin), payload: entry.encoded()
                    )
                )
            } catch {
                throw RPCError(.unavailable, "cannot record \(id) in the inbox log: \(error)", cause: error)
            }
            ledger.markApplied(id)
            return .applied
        }
    }

    /// Registers `mesh.outbox/Deliver` on `router`, answered by this inbox.
    public nonisolated func register(in router: inout ServiceRouter) {
        router.register(OutboxMethods.deliver) { request, _ in try await self.receive(request) }
    }
}
