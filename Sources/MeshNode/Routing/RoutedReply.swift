/// A response and where it came from.
public struct RoutedReply<Response: Sendable>: Sendable {
    public var response: Response
    /// The peer that answered.
    public var peer: String
    /// How many peers were tried (1 = the first pick answered).
    public var attempts: Int
}
