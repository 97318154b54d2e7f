import HotelReservation
import MeshNode

extension HostedServices {
    /// What `meshnode run --services` can host: the hotel services beside the built-in test services.
    static var meshnode: HostedServices {
        var services = HostedServices.builtIn
        services.register(ReservationsDomain.self)
        services.register(InventoryDomain.self)
        services.register(PaymentsDomain.self)
        services.register(SearchDomain.self)
        return services
    }
}
