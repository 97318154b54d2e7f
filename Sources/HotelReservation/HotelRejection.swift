/// The stable `DomainRejection` codes of the hotel services (proto-spec/hotel.md, "Errors"). A host maps them to
/// RPC status codes: `notFound` → notFound, the `…Conflict`/`…InProgress`/`not…` codes → failedPrecondition,
/// the rest → invalidArgument.
public enum HotelRejection {
    /// A request field is missing or out of range.
    public static let invalidRequest = "invalidRequest"
    /// The hotel is not in the catalogue.
    public static let unknownHotel = "unknownHotel"
    /// The hotel has no such room type.
    public static let unknownRoomType = "unknownRoomType"
    /// The dates or room count are out of range.
    public static let invalidStay = "invalidStay"
    /// No reservation (payment, hold) with that id.
    public static let notFound = "notFound"
    /// The idempotency key was used before with a different request.
    public static let idempotencyConflict = "idempotencyConflict"
    /// The reservation's saga has not reached a terminal state yet (retry later).
    public static let sagaInProgress = "sagaInProgress"
    /// An upgrade of the reservation is still running (retry later).
    public static let upgradeInProgress = "upgradeInProgress"
    /// Only confirmed reservations can be cancelled or upgraded.
    public static let notConfirmed = "notConfirmed"
    /// An upgrade must keep the hotel, change the stay and not cost less.
    public static let notAnUpgrade = "notAnUpgrade"
    /// A saga event that cannot belong to this service (wrong type, undecodable, unknown reservation).
    public static let invalidEvent = "invalidEvent"
}
