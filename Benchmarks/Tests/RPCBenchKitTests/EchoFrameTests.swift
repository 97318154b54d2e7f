import NIOCore
import NIOEmbedded
import Testing

@testable import RPCBenchKit

@Suite struct EchoFrameTests {
    @Test func encodesLengthIdAndPayloadBigEndian() {
        var out = ByteBuffer()
        EchoFrame.write(requestID: 0x0102_0304, payload: ByteBuffer(bytes: [0xAA, 0xBB]), into: &out)
        #expect(Array(out.readableBytesView) == [0, 0, 0, 6, 1, 2, 3, 4, 0xAA, 0xBB])
    }

    @Test func decodesWholeFramesAndWaitsForPartialOnes() throws {
        var wire = ByteBuffer()
        EchoFrame.write(requestID: 7, payload: ByteBuffer(bytes: [1, 2, 3]), into: &wire)
        EchoFrame.write(requestID: 8, payload: ByteBuffer(), into: &wire)
        var partial = wire.getSlice(at: 0, length: 10)!
        #expect(try EchoFrame.read(from: &partial) == nil)
        #expect(partial.readableBytes == 10, "a partial frame consumes nothing")

        let first = try #require(try EchoFrame.read(from: &wire))
        #expect(first.requestID == 7)
        #expect(Array(first.payload.readableBytesView) == [1, 2, 3])
        let second = try #require(try EchoFrame.read(from: &wire))
        #expect(second == EchoFrame.Message(requestID: 8, payload: ByteBuffer()))
        #expect(wire.readableBytes == 0)
    }

    @Test(arguments: [UInt32(3), UInt32(EchoFrame.maxBodyLength + 1)])
    func rejectsImpossibleBodyLengths(_ bodyLength: UInt32) {
        var wire = ByteBuffer()
        wire.writeInteger(bodyLength)
        #expect {
            try EchoFrame.read(from: &wire)
        } throws: { error in
            (error as? BenchError)?.code == .protocolViolation
        }
    }

    @Test func serverEchoesEveryFrameAndFlushesPerReadBatch() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(EchoFrameDecoder()))
        try channel.pipeline.syncOperations.addHandler(EchoServerHandler())
        var wire = ByteBuffer()
        EchoFrame.write(requestID: 1, payload: ByteBuffer(bytes: [9]), into: &wire)
        EchoFrame.write(requestID: 2, payload: ByteBuffer(bytes: [8, 7]), into: &wire)
        try channel.writeInbound(wire)
        var echoed = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { echoed.writeBuffer(&part) }
        #expect(echoed == wire)
        _ = try channel.finish()
    }
}

@Suite struct ClientHandlerTests {
    @Test func closedLoopRejectsAReplyForAnIdNotInFlight() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(EchoFrameDecoder()))
        try channel.pipeline.syncOperations.addHandler(ClosedLoopClientHandler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let promise = channel.eventLoop.makePromise(of: LatencySamples.self)
        let plan = CellPlan(payloadSize: 4, concurrency: 2, warmUpNanos: 0, measureNanos: 60_000_000_000)
        try channel.pipeline.syncOperations.handler(type: ClosedLoopClientHandler.self).start(plan, promise: promise)

        var sent = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { sent.writeBuffer(&part) }
        let first = try #require(try EchoFrame.read(from: &sent))
        let second = try #require(try EchoFrame.read(from: &sent))
        #expect([first.requestID, second.requestID] == [0, 1], "one call per slot, ids are slots")
        #expect(Array(first.payload.readableBytesView) == plan.makePayload())

        var bogus = ByteBuffer()
        EchoFrame.write(requestID: 5, payload: first.payload, into: &bogus)
        try channel.writeInbound(bogus)
        #expect {
            try promise.futureResult.wait()
        } throws: { error in
            (error as? BenchError)?.code == .protocolViolation
        }
    }

    @Test func asyncHandlerCorrelatesRepliesOutOfOrder() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(EchoFrameDecoder()))
        try channel.pipeline.syncOperations.addHandler(AsyncEchoClientHandler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let promiseA = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let promiseB = channel.eventLoop.makePromise(of: ByteBuffer.self)
        try channel.writeOutbound(OutboundEcho(payload: ByteBuffer(bytes: [1]), promise: promiseA))
        try channel.writeOutbound(OutboundEcho(payload: ByteBuffer(bytes: [2]), promise: promiseB))
        var sent = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { sent.writeBuffer(&part) }
        let frameA = try #require(try EchoFrame.read(from: &sent))
        let frameB = try #require(try EchoFrame.read(from: &sent))

        var replies = ByteBuffer()
        EchoFrame.write(requestID: frameB.requestID, payload: ByteBuffer(bytes: [22]), into: &replies)
        EchoFrame.write(requestID: frameA.requestID, payload: ByteBuffer(bytes: [11]), into: &replies)
        try channel.writeInbound(replies)
        #expect(Array(try promiseA.futureResult.wait().readableBytesView) == [11])
        #expect(Array(try promiseB.futureResult.wait().readableBytesView) == [22])
    }

    @Test func asyncHandlerFailsPendingCallsWhenTheConnectionCloses() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(AsyncEchoClientHandler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        try channel.writeOutbound(OutboundEcho(payload: ByteBuffer(bytes: [1]), promise: promise))
        _ = try channel.finish(acceptAlreadyClosed: true)
        #expect {
            try promise.futureResult.wait()
        } throws: { error in
            (error as? BenchError)?.code == .connectionClosed
        }
    }
}
