import Foundation
import MeshCore

/// A running Lifeguard suspicion of one member at one incarnation.
///
/// The timeout starts at `maximum` and falls toward `minimum` as independent accusers confirm:
/// `timeout = max(min, max − (max − min) · log(C + 1) / log(K + 1))` with C confirmations beyond
/// the first accuser, capped at K. Confirmations only move the deadline earlier. At the deadline
/// the suspecting node makes one last direct check (`finalCheck`) before it declares death, so a
/// refutation that missed it still gets through; an answer restarts the suspicion.
struct Suspicion: Hashable, Sendable {
    struct FinalCheck: Hashable, Sendable {
        var sequence: UInt64
        var deadline: MeshInstant
    }

    let incarnation: UInt64
    private(set) var start: MeshInstant
    let minimum: MeshDuration
    let maximum: MeshDuration
    let required: Int
    private(set) var accusers: Set<String>
    var finalCheck: FinalCheck?

    init(
        incarnation: UInt64, start: MeshInstant, accuser: String, timeouts: (min: MeshDuration, max: MeshDuration),
        required: Int
    ) {
        self.incarnation = incarnation
        self.start = start
        self.minimum = timeouts.min
        self.maximum = timeouts.max
        self.required = required
        self.accusers = [accuser]
    }

    /// Records another accuser; true when it was a new, independent one.
    mutating func confirm(by accuser: String) -> Bool {
        accusers.insert(accuser).inserted
    }

    var confirmations: Int { min(accusers.count - 1, required) }

    var timeout: MeshDuration {
        guard required > 0 else { return minimum }
        let fraction = log(Double(confirmations + 1)) / log(Double(required + 1))
        let span = Double((maximum - minimum).nanoseconds) * fraction
        return max(minimum, maximum - MeshDuration(nanoseconds: Int64(span)))
    }

    var deadline: MeshInstant { start + timeout }

    /// When the suspicion next needs attention: its deadline, or the end of its final check.
    var nextDeadline: MeshInstant { finalCheck?.deadline ?? deadline }

    /// The suspect answered the final check: wait a full timeout again for its refutation.
    mutating func restart(at now: MeshInstant) {
        start = now
        finalCheck = nil
    }
}
