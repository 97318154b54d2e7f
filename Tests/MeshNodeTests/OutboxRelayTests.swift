import MeshCore
import MeshLog
import MeshNode
import MeshRPC
import MeshResilience
import MeshSaga
import MeshTransport
import Synchronization
import Testing

/// The relay against real consumers on loopback transports.
@Suite("Outbox relay over loopback")
struct OutboxRelayTests {
    /// A consumer: its own log, an inbox recording what it handled, a transport serving `Deliver`.
    struct Consumer {
        let log: EventLog
        let inbox: Inbox
        let transport: MeshTransport
        let seen: Seen
        /// Events received by `Deliver`, including duplicates.
        let received: CountingBox

        func shutdown() async {
            await transport.shutdown()
            log.close()
        }
    }

    func startConsumer(
        _ fx: OutboxFixture,
        on address: HostPort = HostPort(host: "127.0.0.1", port: 0),
        reject: @escaping @Sendable (DeliveredEvent) -> String? = { _ in nil }
    ) async throws -> (Consumer, HostPort) {
        let log = try fx.openLog("consumer")
        let seen = Seen()
        let inbox = try Inbox(log: log) { event in
            if let reason = reject(event) { return .reject(reason: reason) }
            seen.add(event)
            return .apply(effects: [InboxEntry.Effect(type: 60, streamKey: event.streamKey, payload: event.payload)])
        }
        let counter = CountingBox()
        var router = ServiceRouter()
        router.register(OutboxMethods.deliver) { request, _ in
            counter.add(request.events.count)
            return try await inbox.receive(request)
        }
        let transport = fx.transport("consumer-1", router: router)
        let bound = try await transport.listen(on: address)
        return (Consumer(log: log, inbox: inbox, transport: transport, seen: seen, received: counter), bound)
    }

    @Test func deliversEverySubscribedEventInOrderPerStreamKey() async throws {
        try await withFixture { fx in
            let (consumer, address) = try await startConsumer(fx)
            let log = try fx.openLog("producer")
            for n in 0..<30 { _ = try await log.append(event("order/\(n % 3)", n)) }
            _ = try await log.append(event("noise", 0, type: 99))
            let relay = try OutboxRelay(
                log: log, transport: fx.transport("producer-1"),
                subscribers: [OutboxSubscriber(name: "billing", address: address, eventTypes: [1])],
                configuration: fx.relayConfiguration(), logger: OutboxFixture.quiet
            )
            let running = Task { await relay.run() }
            #expect(await eventually { relay.stats("billing")?.acknowledged == 30 })
            running.cancel()
            await running.value
            let seen = consumer.seen.all
            #expect(seen.count == 30)
            #expect(!seen.contains { $0.type == 99 })
            for key in ["order/0", "order/1", "order/2"] {
                let sequences = seen.filter { $0.streamKey == key }.map(\.id.sequence)
                #expect(sequences == sequences.sorted() && sequences.count == 10)
            }
            #expect(seen.allSatisfy { $0.id.origin == EventOrigin(node: "producer-1", epoch: log.epoch) })
            #expect(relay.stats("billing")?.cursor == 31)
            log.close()
            await consumer.shutdown()
        }
    }

    @Test func retriesWhileTheSubscriberIsDownThenCatchesUp() async throws {
        try await withFixture { fx in
            // Learn a free port, then close it: the subscriber is down.
            let probe = fx.transport("consumer-1")
            let address = try await probe.listen(on: HostPort(host: "127.0.0.1", port: 0))
            await probe.shutdown()
            let log = try fx.openLog("producer")
            for n in 0..<12 { _ = try await log.append(event("order/1", n)) }
            let relay = try OutboxRelay(
                log: log, transport: fx.transport("producer-1"),
                subscribers: [OutboxSubscriber(name: "billing", address: address, eventTypes: [1])],
                configuration: fx.relayConfiguration(), logger: OutboxFixture.quiet
            )
            let running = Task { await relay.run() }
            #expect(await eventually { (relay.stats("billing")?.attempts ?? 0) >= 3 })
            #expect(relay.stats("billing")?.acknowledged == 0)
            #expect(relay.stats("billing")?.cursor == 0)
            let (consumer, _) = try await startConsumer(fx, on: address)
            #expect(await eventually { relay.stats("billing")?.acknowledged == 12 })
            #expect(consumer.seen.all.map(\.id.sequence) == Array(1...12))
            running.cancel()
            await running.value
            log.close()
            await consumer.shutdown()
        }
    }

    @Test func anOpenBreakerStopsTheHammering() async throws {
        try await withFixture { fx in
            let calls = CountingBox()
            var router = ServiceRouter()
            router.register(OutboxMethods.deliver) { (_: DeliverRequest, _) async throws -> DeliverResponse in
                calls.add(1)
                throw RPCError(.unavailable, "overloaded, try later")
            }
            let sick = fx.transport("consumer-1", router: router)
            let address = try await sick.listen(on: HostPort(host: "127.0.0.1", port: 0))
            let log = try fx.openLog("producer")
            _ = try await log.append(event("order/1", 0))
            let breaker = CircuitBreaker.Configuration(
                window: .count(4), failureRateThreshold: 0.5, minimumCalls: 4, openWait: .seconds(60)
            )
            let relay = try OutboxRelay(
                log: log, transport: fx.transport("producer-1"),
                subscribers: [OutboxSubscriber(name: "billing", address: address, eventTypes: [1])],
                configuration: fx.relayConfiguration(breaker: breaker), logger: OutboxFixture.quiet
            )
            let running = Task { await relay.run() }
            #expect(await eventually { (relay.stats("billing")?.breakerRejections ?? 0) >= 5 })
            running.cancel()
            await running.value
            // Exactly the calls it took to open the breaker; after that, none.
            #expect(calls.count == 4)
            #expect(relay.stats("billing")?.attempts == 4)
            #expect(relay.stats("billing")?.acknowledged == 0)
            log.close()
            await sick.shutdown()
        }
    }

    @Test func aRestartedRelayResumesFromThePersistedCursor() async throws {
        try await withFixture { fx in
            let (consumer, address) = try await startConsumer(fx)
            let subscribers = [OutboxSubscriber(name: "billing", address: address, eventTypes: [1])]
            do {
                let log = try fx.openLog("producer")
                for n in 0..<20 { _ = try await log.append(event("order/\(n % 2)", n)) }
                let relay = try OutboxRelay(
                    log: log, transport: fx.transport("producer-1"), subscribers: subscribers,
                    configuration: fx.relayConfiguration(), logger: OutboxFixture.quiet
                )
                let running = Task { await relay.run() }
                #expect(await eventually { relay.stats("billing")?.acknowledged == 20 })
                running.cancel()
                await running.value
                log.close()
            }
            let log = try fx.openLog("producer")
            for n in 20..<25 { _ = try await log.append(event("order/\(n % 2)", n)) }
            let relay = try OutboxRelay(
                log: log, transport: fx.transport("producer-1"), subscribers: subscribers,
                configuration: fx.relayConfiguration(), logger: OutboxFixture.quiet
            )
            #expect(relay.stats("billing")?.cursor == 20)
            let running = Task { await relay.run() }
            #expect(await eventually { relay.stats("billing")?.acknowledged == 5 })
            running.cancel()
            await running.value
            // Nothing acknowledged before the restart was sent again.
            #expect(consumer.received.count == 25)
            #expect(consumer.seen.all.map(\.id.sequence) == Array(1...25))
            log.close()
            await consumer.shutdown()
        }
    }

    @Test func aRejectedEventIsDeadLetteredAndLaterEventsStillFlow() async throws {
        try await withFixture { fx in
            let (consumer, address) = try await startConsumer(fx) { event in
                event.payload == Array("order/1#1".utf8) ? "amount must be positive" : nil
            }
            let log = try fx.openLog("producer")
            for n in 0..<4 { _ = try await log.append(event("order/1", n)) }
            let relay = try OutboxRelay(
                log: log, transport: fx.transport("producer-1"),
                subscribers: [OutboxSubscriber(name: "billing", address: address, eventTypes: [1])],
                configuration: fx.relayConfiguration(), logger: OutboxFixture.quiet
            )
            let running = Task { await relay.run() }
            #expect(await eventually { relay.stats("billing")?.acknowledged == 3 })
            _ = try await log.append(event("order/1", 4))
            #expect(await eventually { relay.stats("billing")?.acknowledged == 4 })
            running.cancel()
            await running.value
            #expect(relay.stats("billing")?.deadLettered == 1)
            #expect(
                try relay.deadLetters() == [
                    DeadLetter(
                        subscriber: "billing", sequence: 2, type: 1, streamKey: "order/1",
                        reason: "amount must be positive"
                    )
                ])
            #expect(consumer.seen.all.map(\.id.sequence) == [1, 3, 4, 6])  // 5 is the dead letter record itself
            log.close()
            await consumer.shutdown()
        }
    }

    @Test func aDownSubscriberDoesNotHoldUpAnother() async throws {
        try await withFixture { fx in
            let (consumer, address) = try await startConsumer(fx)
            let probe = fx.transport("nobody")
            let deadAddress = try await probe.listen(on: HostPort(host: "127.0.0.1", port: 0))
            await probe.shutdown()
            let log = try fx.openLog("producer")
            for n in 0..<6 { _ = try await log.append(event("order/1", n, type: n % 2 == 0 ? 1 : 2)) }
            let relay = try OutboxRelay(
                log: log, transport: fx.transport("producer-1"),
                subscribers: [
                    OutboxSubscriber(name: "audit", address: deadAddress, eventTypes: [1, 2]),
                    OutboxSubscriber(name: "billing", address: address, eventTypes: [2]),
                ],
                configuration: fx.relayConfiguration(), logger: OutboxFixture.quiet
            )
            let running = Task { await relay.run() }
            #expect(await eventually { relay.stats("billing")?.acknowledged == 3 })
            #expect(await eventually { (relay.stats("audit")?.attempts ?? 0) >= 2 })
            running.cancel()
            await running.value
            #expect(consumer.seen.all.map(\.id.sequence) == [2, 4, 6])
            #expect(relay.stats("audit")?.acknowledged == 0)
            #expect(relay.stats("audit")?.cursor == 0)
            log.close()
            await consumer.shutdown()
        }
    }

    @Test func unsafeOrDuplicateSubscriberNamesAreRefused() async throws {
        try await withFixture { fx in
            let log = try fx.openLog("producer")
            let address = HostPort(host: "127.0.0.1", port: 1)
            for names in [["../x"], ["a", "a"], [""]] {
                let e = #expect(throws: OutboxError.self) {
                    try OutboxRelay(
                        log: log, transport: fx.transport("producer-1"),
                        subscribers: names.map { OutboxSubscriber(name: $0, address: address, eventTypes: [1]) },
                        configuration: fx.relayConfiguration(), logger: OutboxFixture.quiet
                    )
                }
                #expect(e?.code == .invalidSubscriber)
            }
            log.close()
        }
    }
}

/// A thread-safe count, shared by reference.
final class CountingBox: Sendable {
    let value = Mutex(0)
    func add(_ n: Int) { value.withLock { $0 += n } }
    var count: Int { value.withLock { $0 } }
}
