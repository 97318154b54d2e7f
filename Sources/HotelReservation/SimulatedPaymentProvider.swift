/// The built-in payment provider: deterministic rules instead of a bank, so every outcome of the saga can be
/// provoked on purpose (proto-spec/hotel.md, "Simulated payment provider"). Capture, void and refund of an
/// approved authorization always succeed.
///
/// Rules, in order: a token not starting with `tok_` is declined `invalidCard`; `tok_decline` is declined
/// `cardDeclined`; `tok_timeout` never answers (`timedOut`, every try); an amount above `amountLimit` is declined
/// `amountOverLimit`; anything else is approved with an authorization code derived from the inputs, so asking
/// twice for the same reservation and attempt gives the same code.
public enum SimulatedPaymentProvider {
    public static let decliningCard = "tok_decline"
    public static let timingOutCard = "tok_timeout"
    /// A card that is always approved (any other `tok_…` token is too).
    public static let goodCard = "tok_visa"
    /// The largest amount one authorization may be for, in cents (5,000.00).
    public static let amountLimit: UInt64 = 500_000

    public enum Authorization: Hashable, Sendable {
        case approved(authorizationCode: String)
        case declined(code: String, reason: String)
        case timedOut
    }

    public static func authorize(cardToken: String, amount: UInt64, reservationId: String, attempt: UInt32)
        -> Authorization
    {
        guard cardToken.hasPrefix("tok_") else { return .declined(code: "invalidCard", reason: "not a card token") }
        if cardToken == decliningCard { return .declined(code: "cardDeclined", reason: "the card was declined") }
        if cardToken == timingOutCard { return .timedOut }
        guard amount <= amountLimit else {
            return .declined(code: "amountOverLimit", reason: "\(amount) is over the limit of \(amountLimit)")
        }
        let code = ReservationID.derive(idempotencyKey: "\(cardToken)/\(reservationId)/\(attempt)/\(amount)")
        return .approved(authorizationCode: "auth-" + code.dropFirst(2))
    }
}
