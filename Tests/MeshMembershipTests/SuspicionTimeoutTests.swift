import MeshCore
import Testing

@testable import MeshMembership

@Suite("Lifeguard suspicion timeout")
struct SuspicionTimeoutTests {
    @Test("timeouts scale with log10 N, with the configured floor")
    func scaling() {
        let config = SWIMConfiguration()
        #expect(config.suspicionTimeouts(clusterSize: 10) == (.milliseconds(2_000), .milliseconds(6_000)))
        #expect(config.suspicionTimeouts(clusterSize: 100) == (.milliseconds(2_000), .milliseconds(6_000)))
        #expect(config.suspicionTimeouts(clusterSize: 1_000) == (.milliseconds(3_000), .milliseconds(9_000)))
        #expect(config.retransmitLimit(clusterSize: 10) == 8)
        #expect(config.retransmitLimit(clusterSize: 100) == 12)
        #expect(config.retransmitLimit(clusterSize: 1_000) == 16)
    }

    @Test("each independent confirmation pulls the deadline toward the minimum")
    func confirmationsShrink() {
        var s = Suspicion(
            incarnation: 0, start: .zero, accuser: "a",
            timeouts: (.milliseconds(2_000), .milliseconds(6_000)), required: 3)
        #expect(s.timeout == .milliseconds(6_000))
        let freshb = s.confirm(by: "b")
        #expect(freshb)
        #expect(s.timeout == .milliseconds(4_000))  // 6 − 4·log2/log4
        let againb = s.confirm(by: "b")
        #expect(!againb)  // the same accuser twice is not independent
        let freshc = s.confirm(by: "c")
        #expect(freshc)
        #expect(abs(s.timeout.milliseconds - 2_830.07) < 0.1)  // 6 − 4·log3/log4
        let freshd = s.confirm(by: "d")
        #expect(freshd)
        #expect(s.timeout == .milliseconds(2_000))
        let freshe = s.confirm(by: "e")
        #expect(freshe)
        #expect(s.timeout == .milliseconds(2_000))  // capped at K confirmations
        #expect(s.deadline == ms(2_000))
    }

    @Test("with K = 0 the minimum applies at once")
    func noConfirmationsNeeded() {
        let s = Suspicion(
            incarnation: 0, start: ms(100), accuser: "a",
            timeouts: (.milliseconds(2_000), .milliseconds(6_000)), required: 0)
        #expect(s.deadline == ms(2_100))
    }
}
