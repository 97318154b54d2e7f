import MeshSaga

/// A hotel service: an event-sourced domain whose methods are listed once, as `DomainMethod`s, and served by a
/// `ServiceHost` through their `hosted` form.
public protocol HotelDomain: EventSourcedDomain {
    /// Every method of the service, in a stable order (names unique).
    static var domainMethods: [DomainMethod<Self>] { get }
}

extension HotelDomain {
    /// What the host registers: each method's `hosted` form.
    public static var methods: [HostedMethod<Self>] { domainMethods.map(\.hosted) }
}
