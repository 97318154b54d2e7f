import MeshLog
import MeshSaga
import MeshWire

/// A hosted service's log record read as domain events.
///
/// A hosted service writes every decision as ONE record: an `EventBatch` (a command's or `due`'s events) or an
/// `InboxEntry` (a reaction's effects with the marker of the event it reacted to). A plain record (any type below
/// `0xFE00`) is one event on its own. Other `0xFExx` records (dead letters) hold no domain events.
struct HostedRecord: Sendable {
    var events: [DomainEvent]
    /// When the events were decided (`apply`'s `timestamp`): the record's own field, or the commit time.
    var decidedAt: Int64
    /// The inbox marker of an `InboxEntry`.
    var marker: EventID?

    /// Nil for records that carry no domain events.
    init?(_ record: LogRecord) throws(WireError) {
        switch record.type {
        case EventBatch.recordType:
            let batch = try EventBatch(decoding: record.payload[...])
            self.init(events: batch.events, decidedAt: batch.decidedAt, marker: nil)
        case InboxEntry.recordType:
            let entry = try InboxEntry(decoding: record.payload[...])
            let events = entry.effects.map { DomainEvent(type: $0.type, streamKey: $0.streamKey, payload: $0.payload) }
            self.init(events: events, decidedAt: entry.decidedAt, marker: entry.marker)
        case 0xFE00...:
            return nil
        default:
            self.init(
                events: [DomainEvent(type: record.type, streamKey: record.streamKey, payload: record.payload)],
                decidedAt: record.timestamp, marker: nil)
        }
    }

    init(events: [DomainEvent], decidedAt: Int64, marker: EventID?) {
        self.events = events
        self.decidedAt = decidedAt
        self.marker = marker
    }

    /// The record a hosted service appends for a decision (no record for a decision without events or marker).
    static func batch(_ events: [DomainEvent], decidedAt: Int64) -> NewRecord {
        NewRecord(
            type: EventBatch.recordType, streamKey: events.first?.streamKey ?? "",
            payload: EventBatch(events: events, decidedAt: decidedAt).encoded())
    }

    /// The record of a reaction: the marker of the event reacted to and the reaction's events, together.
    static func inboxEntry(marker: EventID, effects: [DomainEvent], decidedAt: Int64) -> NewRecord {
        let entry = InboxEntry(
            marker: marker,
            effects: effects.map { InboxEntry.Effect(type: $0.type, streamKey: $0.streamKey, payload: $0.payload) },
            decidedAt: decidedAt)
        return NewRecord(
            type: InboxEntry.recordType, streamKey: Inbox.streamKey(for: marker.origin), payload: entry.encoded())
    }

    /// The events one delivered event carries: an `EventBatch` holds several, anything else is one.
    static func events(of delivered: DeliveredEvent) throws(WireError) -> [DomainEvent] {
        if delivered.type == EventBatch.recordType {
            return try EventBatch(decoding: delivered.payload[...]).events
        }
        return [DomainEvent(type: delivered.type, streamKey: delivered.streamKey, payload: delivered.payload)]
    }

    /// What a subscriber gets of `record`: the events `keep` selects, as the record itself when it is a plain
    /// matching record, as a plain record of the one event, or as an `EventBatch` of several; nil for none.
    static func selection(of record: LogRecord, keeping keep: (DomainEvent) -> Bool) -> LogRecord? {
        let hosted: HostedRecord?
        do { hosted = try HostedRecord(record) } catch { return record }  // undecodable: let the consumer judge
        guard let hosted else { return nil }
        let kept = hosted.events.filter(keep)
        if kept.isEmpty { return nil }
        if kept.count == 1 {
            let e = kept[0]
            return LogRecord(
                sequence: record.sequence, timestamp: record.timestamp, type: e.type, streamKey: e.streamKey,
                payload: e.payload)
        }
        return LogRecord(
            sequence: record.sequence, timestamp: record.timestamp, type: EventBatch.recordType,
            streamKey: kept[0].streamKey, payload: EventBatch(events: kept, decidedAt: hosted.decidedAt).encoded())
    }
}
