/// The log record types of the hotel domain (proto-spec/hotel.md, "Event types"). A service's range is its
/// high byte: reservations 0x01, inventory 0x02, payments 0x03, search 0x04. Numbers are never reused; 0xFExx
/// belongs to the mesh itself (inbox entries, dead letters).
public enum HotelEventType: UInt16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    // reservations: stream key = reservation id, payload `ReservationEvent`
    case reservationRequested = 0x0101
    case reservationConfirmed = 0x0102
    case reservationRejected = 0x0103
    case reservationCancelled = 0x0104
    case upgradeRequested = 0x0105
    case reservationUpgraded = 0x0106
    case upgradeFailed = 0x0107
    /// Internal to reservations: another service's saga event, noted in the reservation's saga path.
    case sagaStepObserved = 0x0108

    // inventory: stream key = hotel id, payload `HoldEvent`
    case roomsHeld = 0x0201
    case roomsUnavailable = 0x0202
    case holdBooked = 0x0203
    case holdReleased = 0x0204
    case holdExpired = 0x0205

    // payments: stream key = reservation id, payload `PaymentEvent`
    case paymentAuthorized = 0x0301
    case paymentDeclined = 0x0302
    case paymentCaptured = 0x0303
    case paymentVoided = 0x0304
    case paymentRefunded = 0x0305
    /// Internal to payments: what to charge for an attempt (card, amount), before its rooms are held.
    case paymentRequested = 0x0306
    /// Internal to payments: the rooms of an attempt are held, before its payment request arrived.
    case paymentHoldNoted = 0x0307
    /// Internal to payments: the provider timed out; the authorization is retried at `retryAt`.
    case paymentTimedOut = 0x0308
    /// Internal to payments: the attempt ended before it was authorized (hold expired, reservation rejected).
    case paymentAbandoned = 0x0309

    // search: stream key = city, payload `AvailabilityProjected`
    case availabilityProjected = 0x0401

    public var description: String {
        switch self {
        case .reservationRequested: "ReservationRequested"
        case .reservationConfirmed: "ReservationConfirmed"
        case .reservationRejected: "ReservationRejected"
        case .reservationCancelled: "ReservationCancelled"
        case .upgradeRequested: "UpgradeRequested"
        case .reservationUpgraded: "ReservationUpgraded"
        case .upgradeFailed: "UpgradeFailed"
        case .sagaStepObserved: "SagaStepObserved"
        case .roomsHeld: "RoomsHeld"
        case .roomsUnavailable: "RoomsUnavailable"
        case .holdBooked: "HoldBooked"
        case .holdReleased: "HoldReleased"
        case .holdExpired: "HoldExpired"
        case .paymentAuthorized: "PaymentAuthorized"
        case .paymentDeclined: "PaymentDeclined"
        case .paymentCaptured: "PaymentCaptured"
        case .paymentVoided: "PaymentVoided"
        case .paymentRefunded: "PaymentRefunded"
        case .paymentRequested: "PaymentRequested"
        case .paymentHoldNoted: "PaymentHoldNoted"
        case .paymentTimedOut: "PaymentTimedOut"
        case .paymentAbandoned: "PaymentAbandoned"
        case .availabilityProjected: "AvailabilityProjected"
        }
    }

    /// The name of a record type for logs and the saga path (`0x1234` when it is not a hotel type).
    public static func name(of type: UInt16) -> String {
        HotelEventType(rawValue: type)?.description ?? "0x" + String(type, radix: 16)
    }

    /// The reservations service's events.
    public static let reservationEvents: Set<HotelEventType> = [
        .reservationRequested, .reservationConfirmed, .reservationRejected, .reservationCancelled,
        .upgradeRequested, .reservationUpgraded, .upgradeFailed, .sagaStepObserved,
    ]
    /// The inventory service's events.
    public static let inventoryEvents: Set<HotelEventType> = [
        .roomsHeld, .roomsUnavailable, .holdBooked, .holdReleased, .holdExpired,
    ]
    /// The payments service's events.
    public static let paymentEvents: Set<HotelEventType> = [
        .paymentAuthorized, .paymentDeclined, .paymentCaptured, .paymentVoided, .paymentRefunded,
        .paymentRequested, .paymentHoldNoted, .paymentTimedOut, .paymentAbandoned,
    ]
}

extension Set where Element == UInt16 {
    init(_ types: [HotelEventType]) { self.init(types.map(\.rawValue)) }
}
