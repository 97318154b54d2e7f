import Foundation
import HotelReservation
import MeshWire
import Testing

/// proto-spec/vectors/hotel.txt: every entry is checked here, both directions.
@Suite("Hotel vectors (proto-spec/vectors/hotel.txt)")
struct HotelVectorTests {
    static let stay = Stay(roomType: "standard", checkIn: 20_000, checkOut: 20_002, rooms: 1)

    /// The values the vectors encode, by entry name.
    static let encodings: [String: [UInt8]] = {
        var requested = ReservationEvent(reservationId: "r-1", hotelId: "lisbon-1")
        requested.guestId = "g"
        requested.idempotencyKey = "k1"
        requested.stay = stay
        requested.cardToken = "tok_visa"
        requested.amount = 16_000
        requested.holdTtlNanos = 30_000_000_000
        var held = HoldEvent(reservationId: "r-1", hotelId: "lisbon-1", stay: stay)
        held.expiresAt = 1_750_000_030_000_000_000
        held.version = 1
        held.at = 1_750_000_000_000_000_000
        var expired = HoldEvent(reservationId: "r-1", attempt: 1, hotelId: "lisbon-1", stay: stay)
        expired.reason = "ttl"
        expired.expiresAt = 1_750_000_030_000_000_000
        expired.version = 7
        expired.at = 1_750_000_030_000_000_000
        var authorized = PaymentEvent(reservationId: "r-1", hotelId: "lisbon-1")
        authorized.amount = 16_000
        authorized.authorizationCode = "auth-1"
        var declined = PaymentEvent(reservationId: "r-1", attempt: 2, hotelId: "lisbon-1")
        declined.code = "cardDeclined"
        declined.reason = "no"
        var rejected = ReservationEvent(reservationId: "r-1", hotelId: "lisbon-1")
        rejected.code = "roomsUnavailable"
        rejected.reason = "0 free"
        return [
            "Stay.standard-2-nights": stay.encoded(),
            "ReservationEvent.ReservationRequested": requested.encoded(),
            "ReservationEvent.ReservationRejected": rejected.encoded(),
            "HoldEvent.RoomsHeld": held.encoded(),
            "HoldEvent.HoldExpired.attempt-1": expired.encoded(),
            "PaymentEvent.PaymentAuthorized": authorized.encoded(),
            "PaymentEvent.PaymentDeclined.attempt-2": declined.encoded(),
            "AvailabilityProjected.RoomsHeld": AvailabilityProjected(sourceType: 0x0201, source: held).encoded(),
            "CreateReservationRequest.minimal": CreateReservationRequest(
                idempotencyKey: "k1", guestId: "g", hotelId: "lisbon-1", stay: stay, cardToken: "tok_visa"
            ).encoded(),
            "ReservationID.k1": Array(ReservationID.derive(idempotencyKey: "k1").utf8),
        ]
    }()

    static func load() throws -> [(name: String, bytes: [UInt8])] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("proto-spec/vectors/hotel.txt")
        var out: [(String, [UInt8])] = []
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            let l = line.trimmingCharacters(in: .whitespaces)
            if l.isEmpty || l.hasPrefix("#") { continue }
            let parts = l.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let hex = Array((parts.count > 1 ? parts[1] : "").utf8)
            var bytes: [UInt8] = []
            for i in stride(from: 0, to: hex.count, by: 2) {
                bytes.append(UInt8(String(decoding: hex[i..<i + 2], as: UTF8.self), radix: 16)!)
            }
            out.append((parts[0], bytes))
        }
        return out
    }

    @Test func everyWriterVectorIsReproducedAndDecodesBack() throws {
        let vectors = try Self.load()
        let byName = Dictionary(uniqueKeysWithValues: vectors.map { ($0.name, $0.bytes) })
        for (name, bytes) in Self.encodings {
            #expect(byName[name] == bytes, "\(name): \(bytes.map { String(format: "%02x", $0) }.joined())")
        }
        #expect(
            try ReservationEvent(decoding: byName["ReservationEvent.ReservationRequested"]!).encoded() == byName[
                "ReservationEvent.ReservationRequested"]!)
        #expect(try HoldEvent(decoding: byName["HoldEvent.RoomsHeld"]!).version == 1)
        #expect(try PaymentEvent(decoding: byName["PaymentEvent.PaymentDeclined.attempt-2"]!).attempt == 2)
        #expect(
            try AvailabilityProjected(decoding: byName["AvailabilityProjected.RoomsHeld"]!).source.expiresAt
                == 1_750_000_030_000_000_000)
    }

    @Test func decodeOnlyAndRejectVectors() throws {
        let vectors = try Self.load()
        for v in vectors where v.name.contains("decode-only") {
            let envelope = try SagaEnvelope(decoding: v.bytes)
            #expect(envelope == SagaEnvelope(reservationId: "r-1", attempt: 2, hotelId: "lisbon-1"), "\(v.name)")
        }
        let rejects = vectors.filter { $0.name.contains(".reject.") }
        #expect(rejects.count >= 2)
        for v in rejects {
            let code = v.name.split(separator: ".")[2]
            do {
                _ = try HoldEvent(decoding: v.bytes)
                Issue.record("\(v.name) decoded")
            } catch {
                #expect("\(error.code)" == code, "\(v.name): \(error)")
            }
        }
    }
}
