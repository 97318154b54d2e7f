import MeshRPC
import MeshSaga

/// The payments service's RPC methods (proto-spec/hotel.md, "payments"). Authorize, capture, void and refund are
/// driven by the saga's events; calls read.
public enum PaymentsAPI {
    public static let get = MethodDescriptor<KeyRequest, PaymentAccount>.query(
        service: PaymentsDomain.serviceName, method: "Get")

    /// The charges of one reservation.
    public static func get(_ q: KeyRequest, state: PaymentsState, now: Int64) throws(DomainRejection) -> PaymentAccount
    {
        guard let account = state.accounts[q.key] else {
            throw DomainRejection(HotelRejection.notFound, "no payments for reservation \"\(q.key)\"")
        }
        return account
    }
}

extension PaymentsDomain {
    public static let domainMethods: [DomainMethod<Self>] = [
        .query(PaymentsAPI.get, route: { .key($0.key) }, answer: PaymentsAPI.get)
    ]
}
