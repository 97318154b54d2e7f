import Logging
import Synchronization

/// A thread-safe list a test fills from other tasks.
public final class Recorder<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])
    public init() {}
    /// Appends and returns the number of items before this one.
    @discardableResult
    public func append(_ item: T) -> Int {
        items.withLock {
            $0.append(item)
            return $0.count - 1
        }
    }
    public var all: [T] { items.withLock { $0 } }
    public var count: Int { items.withLock { $0.count } }
}

/// Captures log records (level, message, merged metadata) for assertions.
public struct CapturingLogHandler: LogHandler {
    public struct Record: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]
    }

    public let records: Recorder<Record>
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(records: Recorder<Record>) { self.records = records }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        merged.merge(event.metadata ?? [:]) { $1 }
        records.append(Record(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}
