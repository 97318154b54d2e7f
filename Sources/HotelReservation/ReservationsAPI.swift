import MeshRPC
import MeshSaga

/// The reservations service's RPC methods (proto-spec/hotel.md, "reservations"), for callers and the host.
public enum ReservationsAPI {
    public static let create = MethodDescriptor<CreateReservationRequest, Reservation>.command(
        service: ReservationsDomain.serviceName, method: "Create")
    public static let get = MethodDescriptor<KeyRequest, Reservation>.query(
        service: ReservationsDomain.serviceName, method: "Get")
    public static let cancel = MethodDescriptor<KeyRequest, Reservation>.command(
        service: ReservationsDomain.serviceName, method: "Cancel")
    public static let upgrade = MethodDescriptor<UpgradeReservationRequest, Reservation>.command(
        service: ReservationsDomain.serviceName, method: "Upgrade")
    public static let listByGuest = MethodDescriptor<KeyRequest, MessageList<Reservation>>.query(
        service: ReservationsDomain.serviceName, method: "ListByGuest")
    public static let saga = MethodDescriptor<KeyRequest, SagaProgress>.query(
        service: ReservationsDomain.serviceName, method: "Saga")
    public static let listSagas = MethodDescriptor<SagaListRequest, MessageList<SagaProgress>>.query(
        service: ReservationsDomain.serviceName, method: "ListSagas")
}

extension ReservationsDomain {
    public static let domainMethods: [DomainMethod<Self>] = [
        .command(
            ReservationsAPI.create, route: { .key(ReservationID.derive(idempotencyKey: $0.idempotencyKey)) },
            decide: ReservationsCommands.create),
        .query(ReservationsAPI.get, route: { .key($0.key) }, answer: ReservationsCommands.get),
        .command(ReservationsAPI.cancel, route: { .key($0.key) }, decide: ReservationsCommands.cancel),
        .command(ReservationsAPI.upgrade, route: { .key($0.reservationId) }, decide: ReservationsCommands.upgrade),
        .queryEveryPartition(ReservationsAPI.listByGuest, answer: ReservationsCommands.listByGuest),
        .query(ReservationsAPI.saga, route: { .key($0.key) }, answer: ReservationsCommands.saga),
        .queryEveryPartition(ReservationsAPI.listSagas, answer: ReservationsCommands.listSagas),
    ]
}
