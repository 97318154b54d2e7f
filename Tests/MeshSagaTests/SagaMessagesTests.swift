import MeshCore
import MeshSaga
import MeshWire
import Testing

@Suite("Outbox and inbox messages")
struct SagaMessagesTests {
    let id = EventID(origin: EventOrigin(node: "n", epoch: 0x0102_0304_0506_0708), sequence: 300)

    @Test func deliveredEventHasAByteExactEncoding() throws {
        let event = DeliveredEvent(id: id, type: 7, streamKey: "k", payload: [0xAA])
        let expected: [UInt8] = [
            0x0A, 0x01, 0x6E,  // 1: "n"
            0x11, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  // 2: fixed64 epoch
            0x18, 0xAC, 0x02,  // 3: 300
            0x20, 0x07,  // 4: 7
            0x2A, 0x01, 0x6B,  // 5: "k"
            0x32, 0x01, 0xAA,  // 6: payload
        ]
        #expect(event.encoded() == expected)
        #expect(try DeliveredEvent(decoding: expected) == event)
    }

    @Test func deliverRequestAndResponseRoundTrip() throws {
        let request = DeliverRequest(events: [
            DeliveredEvent(id: id, type: 1, streamKey: "a", payload: [1]),
            DeliveredEvent(id: EventID(origin: id.origin, sequence: 301), type: 2, streamKey: "", payload: []),
        ])
        #expect(try DeliverRequest(decoding: request.encoded()) == request)
        let response = DeliverResponse(outcomes: [.applied, .duplicate, .rejected(reason: "bad amount")])
        #expect(
            response.encoded() == [
                0x0A, 0x02, 0x08, 0x01, 0x0A, 0x02, 0x08, 0x02,
                0x0A, 0x0E, 0x08, 0x03, 0x12, 0x0A,
            ] + Array("bad amount".utf8))
        #expect(try DeliverResponse(decoding: response.encoded()) == response)
    }

    @Test func malformedMessagesThrowExactCodes() {
        let noSequence = DeliveredEvent(
            id: EventID(origin: id.origin, sequence: 1), type: 1, streamKey: "", payload: []
        )
        var bytes = noSequence.encoded()
        bytes.removeSubrange(12..<14)  // drop field 3
        #expect(throws: WireError.self) { try DeliveredEvent(decoding: bytes) }
        let e = #expect(throws: WireError.self) { try DeliverResponse(decoding: [0x0A, 0x02, 0x08, 0x09]) }
        #expect(e?.code == .invalidValue)
        let m = #expect(throws: WireError.self) { try InboxEntry(decoding: [0x12, 0x00]) }
        #expect(m?.code == .missingField)
    }

    @Test func inboxEntryCarriesMarkerAndEffectsTogether() throws {
        let entry = InboxEntry(
            marker: id,
            effects: [
                .init(type: 9, streamKey: "stock/42", payload: [1, 2]),
                .init(type: 10, streamKey: "", payload: []),
            ])
        #expect(try InboxEntry(decoding: entry.encoded()) == entry)
        let letter = DeadLetter(subscriber: "billing", sequence: 4, type: 3, streamKey: "s", reason: "negative amount")
        #expect(try DeadLetter(decoding: letter.encoded()) == letter)
    }
}
