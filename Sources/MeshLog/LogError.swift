/// Why a log operation failed. Every failure of the log surfaces as one of these; nothing is skipped silently.
///
/// `fsyncFailed` is fatal: the log that saw it refuses every later call with `logFailed` (never retry an fsync).
public struct LogError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case corruptRecord, corruptManifest, fsyncFailed, logFailed, ioError, recordTooLarge, closed
            case sequenceArchived, archiveVerificationFailed, invalidArgument, directoryLocked
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A record or segment header fails validation where a torn tail is impossible (`file`, `offset` say where).
        public static let corruptRecord = Code(.corruptRecord)
        /// The directory's MANIFEST is missing, short or fails its checksum.
        public static let corruptManifest = Code(.corruptManifest)
        /// fsync/fdatasync reported an error. Fatal for this log instance; reopen to recover.
        public static let fsyncFailed = Code(.fsyncFailed)
        /// An earlier fatal error (the `cause`) made this log unusable.
        public static let logFailed = Code(.logFailed)
        /// A file-system call failed (`errno` says why).
        public static let ioError = Code(.ioError)
        /// A record is larger than the configured maximum, or its stream key is longer than 65535 bytes.
        public static let recordTooLarge = Code(.recordTooLarge)
        /// The log was closed.
        public static let closed = Code(.closed)
        /// The requested sequence lives in a segment that was archived away from the local directory.
        public static let sequenceArchived = Code(.sequenceArchived)
        /// An archive copy did not read back with the checksum of the local segment; the local segment was kept.
        public static let archiveVerificationFailed = Code(.archiveVerificationFailed)
        /// Another open log (in this process or another) holds the directory's lock.
        public static let directoryLocked = Code(.directoryLocked)
        /// A caller passed a value the log cannot use (e.g. a non-positive limit).
        public static let invalidArgument = Code(.invalidArgument)

        public var description: String { "\(value)" }
    }

    public var code: Code
    public var message: String
    /// The file the error is about, when there is one.
    public var file: String?
    /// The byte offset inside `file` the error is about, when there is one.
    public var offset: Int?
    /// The `errno` reported by the operating system (or injected by a test), when there is one.
    public var errno: Int32?
    /// The underlying error, e.g. the fatal error behind `logFailed`.
    public var cause: (any Error & Sendable)?

    public init(
        _ code: Code,
        _ message: String,
        file: String? = nil,
        offset: Int? = nil,
        errno: Int32? = nil,
        cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.file = file
        self.offset = offset
        self.errno = errno
        self.cause = cause
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let file { text += " [file \(file)" + (offset.map { " offset \($0)" } ?? "") + "]" }
        if let errno { text += " [errno \(errno)]" }
        if let cause { text += " (cause: \(cause))" }
        return text
    }
}
