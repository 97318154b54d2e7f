import MeshCore
import MeshRPC
import MeshSaga
import MeshWire

/// One RPC method a hotel domain serves, in two forms: `hosted`, the typed method a `ServiceHost` registers, and
/// a byte-level form (its name, whether it changes state, how a request finds its partition, and a pure function from request bytes,
/// state and time to response bytes and, for a command, the events to append before answering) that the in-memory
/// cluster of the tests drives without a host.
///
/// Invariants: `run` of a query never returns events; `run` reads `state` only (the host appends the events and
/// applies them, exactly as for `react`); both closures are pure, so a request decides the same way on replay.
public struct DomainMethod<Domain: EventSourcedDomain>: Sendable {
    /// A command changes state (its events are appended before the response is sent); a query only reads.
    public enum Kind: String, Sendable, Hashable {
        case command
        case query
    }

    /// Which partition answers a request.
    public enum Route: Hashable, Sendable {
        /// The owner of this key's partition (the same mapping `partitionKey(of:)` uses for events).
        case key(String)
        /// Every partition answers for the keys it owns; the caller merges the answers (scatter-gather).
        case everyPartition

        /// The key, for `.key`.
        public var key: String? {
            if case .key(let key) = self { return key }
            return nil
        }
    }

    /// What running a method produced: the encoded response and the events to append (empty for a query).
    public struct Outcome: Sendable, Hashable {
        public var response: [UInt8]
        public var events: [DomainEvent]

        public init(response: [UInt8], events: [DomainEvent]) {
            self.response = response
            self.events = events
        }
    }

    /// Why running a method failed: the request did not decode (the caller's bug), or the domain refused it.
    public enum Failure: Error, Hashable, Sendable {
        case malformed(WireError)
        case rejected(DomainRejection)
    }

    /// The method name; the wire path is `Domain.serviceName + "/" + method`.
    public let method: String
    public let kind: Kind
    /// Decodes the request just far enough to route it.
    public let route: @Sendable (ArraySlice<UInt8>) throws(WireError) -> Route
    /// Decodes the request and decides (a command) or answers (a query) against `state` at `now`.
    public let run: @Sendable (ArraySlice<UInt8>, Domain.State, Int64) throws(Failure) -> Outcome
    /// The same method as a `ServiceHost` serves it.
    public let hosted: HostedMethod<Domain>

    /// A command: `decide` returns the response and the events that make it true.
    public static func command<Request: WireMessage, Response: WireMessage>(
        _ descriptor: MethodDescriptor<Request, Response>,
        route: @escaping @Sendable (Request) -> Route,
        decide:
            @escaping @Sendable (Request, Domain.State, Int64) throws(DomainRejection) -> (
                response: Response, events: [DomainEvent]
            )
    ) -> Self {
        precondition(descriptor.kind == .command && descriptor.service == Domain.serviceName)
        let hosted = HostedMethod<Domain>.command(
            HostedCommand(descriptor, key: { request in route(request).key ?? "" }, decide: decide))
        return Self(
            method: descriptor.method, kind: .command, hosted: hosted,
            route: { bytes throws(WireError) in route(try Request(decoding: bytes)) },
            run: { bytes, state, now throws(Failure) in
                let request = try decodeRequest(Request.self, bytes)
                do throws(DomainRejection) {
                    let decision = try decide(request, state, now)
                    return Outcome(response: decision.response.encoded(), events: decision.events)
                } catch {
                    throw .rejected(error)
                }
            })
    }

    /// A query: `answer` reads the state and returns the response.
    public static func query<Request: WireMessage, Response: WireMessage>(
        _ descriptor: MethodDescriptor<Request, Response>,
        route: @escaping @Sendable (Request) -> Route,
        answer: @escaping @Sendable (Request, Domain.State, Int64) throws(DomainRejection) -> Response
    ) -> Self {
        query(descriptor, route: route, hostedKey: { request in route(request).key ?? "" }, answer: answer)
    }

    /// A query every partition answers for the keys it owns (the caller asks every instance and merges).
    public static func queryEveryPartition<Request: WireMessage, Response: WireMessage>(
        _ descriptor: MethodDescriptor<Request, Response>,
        answer: @escaping @Sendable (Request, Domain.State, Int64) throws(DomainRejection) -> Response
    ) -> Self {
        query(descriptor, route: { _ in .everyPartition }, hostedKey: nil, answer: answer)
    }

    private static func query<Request: WireMessage, Response: WireMessage>(
        _ descriptor: MethodDescriptor<Request, Response>,
        route: @escaping @Sendable (Request) -> Route,
        hostedKey: (@Sendable (Request) -> String)?,
        answer: @escaping @Sendable (Request, Domain.State, Int64) throws(DomainRejection) -> Response
    ) -> Self {
        precondition(descriptor.kind == .query && descriptor.service == Domain.serviceName)
        let hosted = HostedMethod<Domain>.query(HostedQuery(descriptor, key: hostedKey, answer: answer))
        return Self(
            method: descriptor.method, kind: .query, hosted: hosted,
            route: { bytes throws(WireError) in route(try Request(decoding: bytes)) },
            run: { bytes, state, now throws(Failure) in
                let request = try decodeRequest(Request.self, bytes)
                do throws(DomainRejection) {
                    return Outcome(response: try answer(request, state, now).encoded(), events: [])
                } catch {
                    throw .rejected(error)
                }
            })
    }

    private static func decodeRequest<Request: WireMessage>(
        _: Request.Type, _ bytes: ArraySlice<UInt8>
    ) throws(Failure) -> Request {
        do {
            return try Request(decoding: bytes)
        } catch {
            throw .malformed(error)
        }
    }

    private init(
        method: String, kind: Kind, hosted: HostedMethod<Domain>,
        route: @escaping @Sendable (ArraySlice<UInt8>) throws(WireError) -> Route,
        run: @escaping @Sendable (ArraySlice<UInt8>, Domain.State, Int64) throws(Failure) -> Outcome
    ) {
        self.method = method
        self.kind = kind
        self.hosted = hosted
        self.route = route
        self.run = run
    }
}
