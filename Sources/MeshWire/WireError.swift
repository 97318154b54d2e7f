/// Why bytes from the wire were rejected. Every rejected frame or payload produces one of these;
/// the transport logs it and closes the connection, unless it is a stream-level error (proto-spec/rpc.md),
/// which fails or drops only that stream.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case frameTooLarge, frameTooShort, unsupportedVersion, unknownFrameType
            case truncatedPayload, malformedVarint, unknownWireType, invalidUTF8, invalidValue, missingField
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The length prefix announces more than the configured maximum frame length.
        public static let frameTooLarge = Code(.frameTooLarge)
        /// The length prefix is smaller than the fixed frame header.
        public static let frameTooShort = Code(.frameTooShort)
        /// The frame's version byte is not one this peer speaks.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// The frame's type byte is not defined by this protocol version.
        public static let unknownFrameType = Code(.unknownFrameType)
        /// A payload field runs past the end of its enclosing bytes.
        public static let truncatedPayload = Code(.truncatedPayload)
        /// A varint is longer than 10 bytes or overflows 64 bits.
        public static let malformedVarint = Code(.malformedVarint)
        /// A field key carries a wire type this encoding does not define (so it cannot be skipped).
        public static let unknownWireType = Code(.unknownWireType)
        /// A string field is not valid UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A field decoded but its value is out of range for the message.
        public static let invalidValue = Code(.invalidValue)
        /// A message lacks a field it must carry.
        public static let missingField = Code(.missingField)

        public var description: String { "\(value)" }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
