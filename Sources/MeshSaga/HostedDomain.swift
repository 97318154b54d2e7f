/// A domain a `ServiceHost` can serve without knowing anything about it: its event-sourced core plus the RPC
/// methods it answers. Registering a fourth service is one line in the host: its type.
public protocol HostedDomain: EventSourcedDomain {
    /// Every method of the service, in a stable order (names unique).
    static var methods: [HostedMethod<Self>] { get }
}
