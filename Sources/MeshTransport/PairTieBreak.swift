/// One connection per pair of nodes: which of two available connections between the same two nodes stays.
///
/// Both nodes decide alike without talking: when the two were dialled by different nodes (both dialled at once),
/// the one dialled by the node whose name sorts first stays, and each side closes the other one gracefully (goAway,
/// in-flight calls finish). When the same node dialled both, the older one stays and only that dialler closes the
/// newer one; the other side keeps both until the close arrives.
enum PairTieBreak {
    /// A connection as one side sees it.
    struct End: Hashable, Sendable {
        /// The other node's certificate name.
        var peer: String
        /// True if the other node dialled it (an inbound connection).
        var dialledByPeer: Bool
    }

    enum Decision: Hashable, Sendable {
        case keepBoth, closeNew, closeExisting
    }

    /// What node `me` does when `new` is established while `existing` (to the same peer) is still available.
    static func decide(me: String, existing: End, new: End) -> Decision {
        guard existing.peer == new.peer, existing.peer != me else { return .keepBoth }
        if existing.dialledByPeer == new.dialledByPeer {
            return new.dialledByPeer ? .keepBoth : .closeNew
        }
        // Dialled by different nodes: the one the smaller name dialled stays.
        let smallerDialled = me < new.peer ? !new.dialledByPeer : new.dialledByPeer
        return smallerDialled ? .closeExisting : .closeNew
    }
}
