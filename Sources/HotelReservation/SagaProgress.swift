import MeshWire

/// Where one reservation's saga is and why: the current stage, a sentence saying what it waits for, the last
/// event, the next deadline and the path so far with timestamps. Kept in the reservations state, so the admin RPC
/// `reservations/Saga` answers from the reservation's owner alone.
///
/// Invariant: `path` holds the last `maximumPath` steps in the order they were applied (`droppedSteps` counts
/// the older ones): the record stays bounded however many upgrades a reservation goes through.
public struct SagaProgress: WireMessage, Hashable {
    public static let maximumPath = 64

    /// The saga's stage. Terminal: `confirmed` (with no upgrade running), `rejected`, `cancelled`.
    public enum Stage: UInt32, Sendable, Hashable, CustomStringConvertible {
        case holdingRooms = 1
        case authorizingPayment = 2
        case bookingRooms = 3
        case confirmed = 4
        case rejected = 5
        case cancelled = 6
        case upgradeHoldingRooms = 7
        case upgradeAuthorizingPayment = 8
        case upgradeBookingRooms = 9

        public var description: String {
            switch self {
            case .holdingRooms: "holdingRooms"
            case .authorizingPayment: "authorizingPayment"
            case .bookingRooms: "bookingRooms"
            case .confirmed: "confirmed"
            case .rejected: "rejected"
            case .cancelled: "cancelled"
            case .upgradeHoldingRooms: "upgradeHoldingRooms"
            case .upgradeAuthorizingPayment: "upgradeAuthorizingPayment"
            case .upgradeBookingRooms: "upgradeBookingRooms"
            }
        }

        public var isTerminal: Bool { self == .confirmed || self == .rejected || self == .cancelled }
    }

    /// One event of the saga as the reservation saw it: when it was applied here, its type and attempt, a summary.
    public struct Step: WireMessage, Hashable {
        public var at: Int64
        public var type: UInt16
        public var attempt: UInt32
        public var detail: String

        public init(at: Int64, type: UInt16, attempt: UInt32, detail: String) {
            self.at = at
            self.type = type
            self.attempt = attempt
            self.detail = detail
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
            self.init(at: 0, type: 0, attempt: 0, detail: "")
            var r = PayloadReader(bytes)
            while let f = try r.next() {
                switch f.number {
                case 1: at = try f.int()
                case 2: type = try HotelWire.eventType(f)
                case 3: attempt = try f.uint32()
                case 4: detail = try f.string()
                default: break
                }
            }
        }

        public func encode(to w: inout PayloadWriter) {
            if at != 0 { w.int(1, at) }
            if type != 0 { w.uint(2, UInt64(type)) }
            if attempt != 0 { w.uint(3, UInt64(attempt)) }
            if !detail.isEmpty { w.string(4, detail) }
        }
    }

    public var reservationId: String
    public var stage: Stage
    /// What the saga waits for now, or how it ended.
    public var why: String
    public var lastEventType: UInt16 = 0
    public var lastEventAt: Int64 = 0
    /// When the current step lapses if nothing happens (a hold's expiry), 0 for none.
    public var nextDeadline: Int64 = 0
    public var path: [Step] = []
    public var droppedSteps: UInt32 = 0
    public var startedAt: Int64 = 0
    /// When the reservation first reached a terminal stage (0 while it has not).
    public var finishedAt: Int64 = 0

    public init(reservationId: String, stage: Stage, why: String) {
        self.reservationId = reservationId
        self.stage = stage
        self.why = why
    }

    /// Appends a step (dropping the oldest beyond `maximumPath`) and makes it the last event.
    mutating func record(_ step: Step) {
        path.append(step)
        if path.count > Self.maximumPath {
            path.removeFirst(path.count - Self.maximumPath)
            droppedSteps += 1
        }
        lastEventType = step.type
        lastEventAt = step.at
    }

    /// Moves to `stage`, saying why; the first terminal stage sets `finishedAt`.
    mutating func enter(_ stage: Stage, _ why: String, at: Int64, deadline: Int64 = 0) {
        self.stage = stage
        self.why = why
        self.nextDeadline = deadline
        if stage.isTerminal && finishedAt == 0 { finishedAt = at }
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(reservationId: "", stage: .holdingRooms, why: "")
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: reservationId = try f.string()
            case 2:
                let v = try f.uint32()
                guard let s = Stage(rawValue: v) else { throw WireError(.invalidValue, "saga stage \(v) is unknown") }
                stage = s
            case 3: why = try f.string()
            case 4: lastEventType = try HotelWire.eventType(f)
            case 5: lastEventAt = try f.int()
            case 6: nextDeadline = try f.int()
            case 7: path.append(try f.message(Step.self))
            case 8: droppedSteps = try f.uint32()
            case 9: startedAt = try f.int()
            case 10: finishedAt = try f.int()
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, reservationId)
        w.uint(2, UInt64(stage.rawValue))
        if !why.isEmpty { w.string(3, why) }
        if lastEventType != 0 { w.uint(4, UInt64(lastEventType)) }
        if lastEventAt != 0 { w.int(5, lastEventAt) }
        if nextDeadline != 0 { w.int(6, nextDeadline) }
        for step in path { w.message(7, step) }
        if droppedSteps != 0 { w.uint(8, UInt64(droppedSteps)) }
        if startedAt != 0 { w.int(9, startedAt) }
        if finishedAt != 0 { w.int(10, finishedAt) }
    }
}
