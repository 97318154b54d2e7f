import MeshSaga
import MeshWire

/// What a reservation books inside one hotel: `rooms` rooms of one room type for the nights
/// `checkIn ..< checkOut`, days counted since 1970-01-01 (UTC). Payload: `1 roomType string, 2 checkIn uint32,
/// 3 checkOut uint32, 4 rooms uint32`.
public struct Stay: WireMessage, Hashable {
    /// A stay is at most this many nights.
    public static let maximumNights: UInt32 = 30
    /// A stay books at most this many rooms.
    public static let maximumRooms: UInt32 = 10

    public var roomType: String
    public var checkIn: UInt32
    public var checkOut: UInt32
    public var rooms: UInt32

    public init(roomType: String, checkIn: UInt32, checkOut: UInt32, rooms: UInt32 = 1) {
        self.roomType = roomType
        self.checkIn = checkIn
        self.checkOut = checkOut
        self.rooms = rooms
    }

    public var nights: Range<UInt32> { checkIn..<max(checkIn, checkOut) }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        self.init(roomType: "", checkIn: 0, checkOut: 0, rooms: 0)
        while let f = try r.next() {
            switch f.number {
            case 1: roomType = try f.string()
            case 2: checkIn = try f.uint32()
            case 3: checkOut = try f.uint32()
            case 4: rooms = try f.uint32()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        if !roomType.isEmpty { w.string(1, roomType) }
        if checkIn != 0 { w.uint(2, UInt64(checkIn)) }
        if checkOut != 0 { w.uint(3, UInt64(checkOut)) }
        if rooms != 0 { w.uint(4, UInt64(rooms)) }
    }

    /// Checks the stay against the catalogue: the hotel and room type exist, 1…30 nights, 1…10 rooms.
    /// Returns the room type.
    func validated(in hotelId: String) throws(DomainRejection) -> RoomType {
        guard let hotel = Catalogue.hotel(hotelId) else {
            throw DomainRejection(HotelRejection.unknownHotel, "no hotel \"\(hotelId)\" in the catalogue")
        }
        guard let type = hotel.roomType(roomType) else {
            throw DomainRejection(HotelRejection.unknownRoomType, "hotel \(hotelId) has no room type \"\(roomType)\"")
        }
        guard checkIn < checkOut, checkOut - checkIn <= Stay.maximumNights else {
            throw DomainRejection(
                HotelRejection.invalidStay,
                "a stay is 1…\(Stay.maximumNights) nights (checkIn \(checkIn) < checkOut \(checkOut))")
        }
        guard (1...Stay.maximumRooms).contains(rooms) else {
            throw DomainRejection(HotelRejection.invalidStay, "a stay books 1…\(Stay.maximumRooms) rooms, not \(rooms)")
        }
        return type
    }
}
