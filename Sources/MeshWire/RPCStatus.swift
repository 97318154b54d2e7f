/// The outcome of a call, carried in every `response` frame. Codes and their numbers are the
/// same as gRPC's status codes, so operators can read them without a new table.
public struct RPCStatus: Hashable, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let ok = Code(rawValue: 0)
        public static let cancelled = Code(rawValue: 1)
        public static let unknown = Code(rawValue: 2)
        public static let invalidArgument = Code(rawValue: 3)
        public static let deadlineExceeded = Code(rawValue: 4)
        public static let notFound = Code(rawValue: 5)
        public static let alreadyExists = Code(rawValue: 6)
        public static let permissionDenied = Code(rawValue: 7)
        public static let resourceExhausted = Code(rawValue: 8)
        public static let failedPrecondition = Code(rawValue: 9)
        public static let aborted = Code(rawValue: 10)
        public static let outOfRange = Code(rawValue: 11)
        public static let unimplemented = Code(rawValue: 12)
        public static let `internal` = Code(rawValue: 13)
        public static let unavailable = Code(rawValue: 14)
        public static let dataLoss = Code(rawValue: 15)
        public static let unauthenticated = Code(rawValue: 16)

        private static let names: [UInt32: String] = [
            0: "ok", 1: "cancelled", 2: "unknown", 3: "invalidArgument", 4: "deadlineExceeded", 5: "notFound",
            6: "alreadyExists", 7: "permissionDenied", 8: "resourceExhausted", 9: "failedPrecondition",
            10: "aborted", 11: "outOfRange", 12: "unimplemented", 13: "internal", 14: "unavailable",
            15: "dataLoss", 16: "unauthenticated",
        ]

        public var description: String { Code.names[rawValue] ?? "code(\(rawValue))" }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String = "") {
        self.code = code
        self.message = message
    }

    public static let ok = RPCStatus(code: .ok)

    public var description: String { message.isEmpty ? "\(code)" : "\(code): \(message)" }
}
