/// How a subscriber's answer to one `Deliver` batch settles it (pure; the relay shell acts on it).
///
/// Invariant: every event of the batch is either acknowledged (applied or duplicate) or dead-lettered, never
/// both, in batch order; an answer with the wrong number of outcomes settles nothing.
public struct BatchSettlement: Hashable, Sendable {
    /// Sequences the subscriber applied or already had.
    public var acknowledged: [UInt64]
    /// Events it rejected, with its reasons.
    public var deadLetters: [DeadLetter]

    /// Nil when `outcomes` does not hold exactly one outcome per event (the batch must be retried).
    public init?(subscriber: String, events: [DeliveredEvent], outcomes: [DeliveryOutcome]) {
        guard events.count == outcomes.count else { return nil }
        acknowledged = []
        deadLetters = []
        for (event, outcome) in zip(events, outcomes) {
            switch outcome {
            case .applied, .duplicate:
                acknowledged.append(event.id.sequence)
            case .rejected(let reason):
                deadLetters.append(
                    DeadLetter(
                        subscriber: subscriber, sequence: event.id.sequence, type: event.type,
                        streamKey: event.streamKey, reason: reason
                    )
                )
            }
        }
    }
}
